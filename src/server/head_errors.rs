//! Every 4xx is a JSON error, also the ones hyper answers itself before a request reaches the
//! router: a head it cannot parse (a NUL or another forbidden byte in a header, a bad request
//! line) is a 400, a head over `server.max_header_bytes` a 431, and hyper writes those with an
//! empty body. [`JsonHeadErrors`] wraps a connection's socket and gives such an answer the body
//! `{"error":{"type","code","message","param"}}`.
//!
//! It recognizes hyper's answer by its shape: one whole head, status 4xx, `connection: close`,
//! `content-length: 0` and no `content-type`. The router never answers a 4xx without a JSON
//! body, so nothing of the router's is rewritten.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{ApiError, ErrorType};

/// A socket whose bodiless 4xx answers from hyper get a JSON error body.
pub(super) struct JsonHeadErrors<T> {
    inner: T,
    /// A rewritten answer still to be written, and how much of it has been.
    pending: Vec<u8>,
    written: usize,
}

impl<T> JsonHeadErrors<T> {
    pub(super) fn new(inner: T) -> Self {
        JsonHeadErrors {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> JsonHeadErrors<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

/// hyper's own bodiless 4xx answer, rewritten with a JSON error body; `None` for anything else.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    const EMPTY: &str = "\r\ncontent-length: 0\r\n";
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text.strip_prefix("HTTP/1.1 4")?.get(..2)?.parse().ok()?;
    let status = 400 + status;
    let lower = text.to_ascii_lowercase();
    if !text.ends_with("\r\n\r\n")
        || text.matches("\r\n\r\n").count() != 1
        || !lower.contains("\r\nconnection: close\r\n")
        || !lower.contains(EMPTY)
        || lower.contains("\r\ncontent-type:")
    {
        return None;
    }
    let (code, message) = match status {
        431 => (
            "headers_too_large",
            "the request's headers are larger than the server accepts (server.max_header_bytes)",
        ),
        400 => (
            "request_malformed",
            "the request could not be parsed: a bad request line, or a header with a forbidden character (such as NUL) or without a name",
        ),
        _ => ("request_invalid", "the request could not be read"),
    };
    let body = ApiError::new(status, ErrorType::InvalidRequestError, code, message)
        .body()
        .to_string();
    let at = lower.find(EMPTY)?;
    let mut out = String::with_capacity(text.len() + body.len() + 40);
    out.push_str(&text[..at]);
    out.push_str(&format!(
        "\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    ));
    out.push_str(&text[at + EMPTY.len()..]);
    out.push_str(&body);
    Some(out.into_bytes())
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonHeadErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonHeadErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(answer) = rewrite(buf) {
            // The caller's bytes are taken; ours are written in their place.
            self.pending = answer;
            self.written = 0;
            if let Poll::Ready(Err(e)) = self.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each head in one piece, which `rewrite` needs.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn hypers_bodiless_4xx_gets_a_json_body_and_nothing_else_is_touched() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 20:01:50 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "headers_too_large");
        // Not hyper's: keep-alive, a body type, a 2xx, a head with a body after it.
        for other in [
            &b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n{}",
        ] {
            assert!(rewrite(other).is_none(), "{}", String::from_utf8_lossy(other));
        }
    }
}
