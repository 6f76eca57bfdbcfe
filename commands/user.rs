//! Who runs the CLI, for the audit log: the operator's login name. `$USER` (or `$LOGNAME`)
//! when the session sets it, else the name the password database gives the process's real uid
//! (a container, cron or `docker exec` often sets neither variable), else `uid:<n>`, so an
//! audit entry always names someone rather than `unknown`.

/// The operator's name: `$USER`, `$LOGNAME`, the real uid's login name, or `uid:<n>`.
pub fn os_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(uid_user)
}

/// The real uid's login name, or `uid:<n>` when it has none.
#[cfg(target_os = "linux")]
fn uid_user() -> String {
    use std::ffi::CStr;

    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: an all-zero `passwd` is a valid value (null pointers, zero ids); the call
        // fills it with pointers into `buf`, which outlives every use of them below.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call and `buf.len()` is its true length.
        let rc =
            unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return format!("uid:{uid}");
        }
        // SAFETY: on success `pw_name` points at a NUL-terminated string inside `buf`.
        let name = unsafe { CStr::from_ptr(pwd.pw_name) }.to_string_lossy();
        return match name.trim() {
            "" => format!("uid:{uid}"),
            name => name.to_string(),
        };
    }
}

/// Elsewhere there is no uid lookup here (nor, on Windows, a uid).
#[cfg(not(target_os = "linux"))]
fn uid_user() -> String {
    "unknown".into()
}
