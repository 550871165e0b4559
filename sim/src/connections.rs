//! The client connections open now, so that a fault can drop them all at once, as an API
//! server restart or a network blip between client and server does: every exec stream, watch
//! and request in flight ends without an answer, on both sides at the same moment, and the
//! next connection is served as usual.
//!
//! Each connection is registered with a duplicate of its socket, and the registry shuts the
//! sockets down (`shutdown(2)` both ways) rather than dropping anything: that reaches the
//! client at once (it reads end-of-file, its writes fail) whatever the server's own tasks are
//! doing, and those tasks see the end on their next read or write. A connection leaves the
//! registry when its last user drops it, so a dropped connection's socket is closed then.

use std::collections::HashMap;
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The registry of open connections.
#[derive(Default)]
pub struct Connections {
    open: Mutex<HashMap<u64, std::net::TcpStream>>,
    next: AtomicU64,
}

/// A connection's place in the registry: dropped with the connection, it takes it out (and
/// closes the duplicate socket, so the socket closes when the connection's own copy does).
pub struct Tracked {
    id: u64,
    registry: Arc<Connections>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, std::net::TcpStream>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers the connection on `socket` until the returned [`Tracked`] is dropped; keep
    /// it as long as the connection. Fails only when the socket cannot be duplicated (out of
    /// file descriptors).
    pub fn track(self: &Arc<Self>, socket: &impl AsFd) -> std::io::Result<Tracked> {
        let duplicate = std::net::TcpStream::from(socket.as_fd().try_clone_to_owned()?);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, duplicate);
        Ok(Tracked {
            id,
            registry: self.clone(),
        })
    }

    /// Shuts down every open connection's socket; returns how many there were.
    pub fn drop_all(&self) -> usize {
        let open = self.lock();
        for socket in open.values() {
            // A socket the peer already shut down answers ENOTCONN: it is gone either way.
            let _ = socket.shutdown(Shutdown::Both);
        }
        open.len()
    }

    /// How many connections are open now.
    pub fn count(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn dropping_all_ends_both_sides_and_untracks_on_drop() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        let registry = Arc::new(Connections::default());
        let tracked = registry.track(&server).expect("track");
        assert_eq!(registry.count(), 1);
        assert_eq!(registry.drop_all(), 1);
        let mut buf = [0u8; 8];
        assert_eq!(client.read(&mut buf).expect("client reads"), 0, "EOF");
        assert_eq!(server.read(&mut buf).expect("server reads"), 0, "EOF");
        assert!(server.write_all(b"late").is_err(), "no writes after");
        drop(tracked);
        assert_eq!(registry.count(), 0);
    }
}
