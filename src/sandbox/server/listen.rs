//! The listeners: the main one and one per gateway (closed to refuse connections), and the
//! connections they serve, shut down on close.

use super::*;

pub(super) async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

/// Holds `addr` without listening on it: connections to it are refused, and the kernel does not
/// hand the port to another program that asks for any free one. `SO_REUSEADDR` lets it bind
/// beside the closed listener's connections in TIME_WAIT.
pub(super) fn reserve(addr: SocketAddr) -> std::io::Result<socket2::Socket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// Starts listening on a socket [`reserve`] held.
pub(super) fn listen_on(
    socket: socket2::Socket,
    addr: SocketAddr,
) -> Result<TcpListener, ServerError> {
    let listening = socket
        .listen(1024)
        .and_then(|()| socket.set_nonblocking(true))
        .and_then(|()| TcpListener::from_std(socket.into()));
    listening.map_err(|source| ServerError::Bind { addr, source })
}

pub(super) fn local_addr(
    listener: &TcpListener,
    addr: SocketAddr,
) -> Result<SocketAddr, ServerError> {
    listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })
}

/// The address clients should use: loopback when bound to every interface.
pub(super) fn advertised_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// A listener being served: its accept loop owns the listener and every connection task.
pub(super) struct Serving {
    pub(super) stop: oneshot::Sender<()>,
    pub(super) task: JoinHandle<()>,
}

impl Serving {
    /// Closes the listener and aborts every open connection; returns once both are gone, so
    /// the next connect to the port is refused.
    pub(super) async fn close(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

pub(super) fn spawn_serving(listener: TcpListener, app: Router) -> Serving {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let stream = Conn(stream);
                        let service = hyper_util::service::TowerToHyperService::new(app.clone());
                        connections.spawn(async move {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .timer(hyper_util::rt::TokioTimer::new())
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        tracing::warn!(error = %e, "sandbox: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        shut_down(&listener);
        drop(listener);
        connections.shutdown().await;
    });
    Serving { stop, task }
}

/// Shuts a socket down for every process that holds it. Dropping our descriptor is not
/// enough: a child process forked at that moment (any `Command::spawn` in this process, which
/// tests do) briefly holds a copy, and would keep the listener accepting or the connection
/// open. Errors are ignored: the socket is being dropped anyway.
pub(super) fn shut_down(socket: &impl socket2_source::Source) {
    let _ = socket2::SockRef::from(socket).shutdown(std::net::Shutdown::Both);
}

#[cfg(unix)]
pub(super) mod socket2_source {
    pub(crate) trait Source: std::os::fd::AsFd {}
    impl<T: std::os::fd::AsFd> Source for T {}
}

#[cfg(windows)]
pub(super) mod socket2_source {
    pub trait Source: std::os::windows::io::AsSocket {}
    impl<T: std::os::windows::io::AsSocket> Source for T {}
}

/// An accepted connection that is shut down (FIN to the client) when dropped, see
/// [`shut_down`]; so aborting a connection task really closes the connection.
pub(super) struct Conn(tokio::net::TcpStream);

impl Drop for Conn {
    fn drop(&mut self) {
        shut_down(&self.0);
    }
}

impl tokio::io::AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
