//! TLS for the simulator's listener.
//!
//! kubectl (client-go) sends the kubeconfig's credentials only over TLS, so the
//! simulator serves HTTPS with a certificate from a CA generated for this run; the
//! kubeconfig carries that CA. Plain-HTTP connections are still accepted on the same
//! port (told apart by the first byte of the TLS handshake), for curl and tests that
//! do not want TLS; they need the bearer token all the same.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;
use tokio_util::sync::CancellationToken;

use crate::connections::{Connections, Tracked};

/// The per-run CA and the server's TLS configuration.
pub struct TlsMaterial {
    /// The CA certificate (PEM) that signed the server certificate.
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

/// Generate a CA and a server certificate for localhost, 127.0.0.1, ::1 and `bind`.
pub fn generate(bind: IpAddr) -> Result<TlsMaterial, String> {
    let err = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "pxsnap-sim CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(err)?;

    let key = KeyPair::generate().map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(err)?;
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    if !ips.contains(&bind) && !bind.is_unspecified() {
        ips.push(bind);
    }
    for ip in ips {
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    params
        .distinguished_name
        .push(DnType::CommonName, "pxsnap-sim");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.signed_by(&key, &ca).map_err(err)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

/// A connection: TLS or plain, registered in [`Connections`] while it lives.
pub struct Conn {
    io: Either<TlsStream<TcpStream>, TcpStream>,
    /// Dropped with the connection, which leaves the registry then.
    _tracked: Option<Tracked>,
}

impl tokio::io::AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// An axum listener yielding finished TLS handshakes (or plain connections).
/// Handshakes run in their own tasks so a slow client cannot stall accepting.
pub struct SniffingListener {
    rx: mpsc::Receiver<(Conn, SocketAddr)>,
    local: SocketAddr,
}

impl SniffingListener {
    /// `stall_handshake` is asked once per TLS connection; when it says so, the handshake is
    /// never answered (see [`hold`]). Every connection is in `connections` while it lives.
    pub fn new(
        tcp: TcpListener,
        acceptor: TlsAcceptor,
        cancel: CancellationToken,
        stall_handshake: impl Fn() -> bool + Send + Sync + 'static,
        connections: Arc<Connections>,
    ) -> std::io::Result<Self> {
        let stall_handshake = Arc::new(stall_handshake);
        let local = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = cancel.cancelled() => return,
                    a = tcp.accept() => a,
                };
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // Untracked, the connection is still served; only a drop of every connection
                // misses it.
                let tracked = connections
                    .track(&stream)
                    .inspect_err(|e| tracing::warn!("cannot track the connection from {peer}: {e}"))
                    .ok();
                let tx = tx.clone();
                let acceptor = acceptor.clone();
                let (stall_handshake, cancel) = (stall_handshake.clone(), cancel.clone());
                tokio::spawn(async move {
                    let mut first = [0u8; 1];
                    let n = match stream.peek(&mut first).await {
                        Ok(n) => n,
                        Err(_) => return,
                    };
                    let tls = n == 1 && first[0] == 0x16;
                    if tls && stall_handshake() {
                        hold(stream, &cancel).await;
                        return;
                    }
                    let io = if tls {
                        match acceptor.accept(stream).await {
                            Ok(tls) => Either::Left(tls),
                            Err(e) => {
                                tracing::debug!("TLS handshake with {peer} failed: {e}");
                                return;
                            }
                        }
                    } else {
                        Either::Right(stream)
                    };
                    let conn = Conn {
                        io,
                        _tracked: tracked,
                    };
                    let _ = tx.send((conn, peer)).await;
                });
            }
        });
        Ok(SniffingListener { rx, local })
    }
}

/// Keeps a connection open without ever answering, reading (and dropping) what the client
/// sends, until it hangs up or the simulator stops: a TLS handshake that never completes.
async fn hold(mut stream: TcpStream, cancel: &CancellationToken) {
    use tokio::io::AsyncReadExt;
    let mut sink = [0u8; 1024];
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            read = stream.read(&mut sink) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
}

impl axum::serve::Listener for SniffingListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended (shutdown): never yield another connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Standard base64, for `certificate-authority-data` and Secret `data`.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(char::from(T[(n >> 18) as usize & 63]));
        out.push(char::from(T[(n >> 12) as usize & 63]));
        out.push(if chunk.len() > 1 {
            char::from(T[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char::from(T[n as usize & 63])
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn certificate_generates() {
        let m = generate(IpAddr::V4(Ipv4Addr::LOCALHOST)).unwrap();
        assert!(m.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
