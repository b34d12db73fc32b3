//! Accepted connections, closed when they go quiet.
//!
//! hyper waits for an HTTP/2 client's preface forever, so a TCP connection that never sends a
//! byte would hold a socket and a task for as long as its peer likes. Every accepted connection
//! is therefore wrapped in [`QuietTimeout`]: when nothing has been read from it for the
//! configured time, its next read fails and hyper drops it. A live client is never quiet that
//! long: the server pings every connection at a third of the timeout (see `serve`), and every
//! HTTP/2 client answers pings, busy or idle.
//!
//! Every connection is closed *lingering*, as nginx does: the server stops writing, then reads
//! and discards what still arrives until the client hangs up, goes quiet for [`LINGER_QUIET`] or
//! [`LINGER_AT_MOST`] has passed. It matters where the server closes while its client is still
//! sending: an upload refused before its body was read (no key, a reader's ingest, a body over
//! the size limit). Closed with those bytes unread, the client's next write fails (curl: "Send
//! failure: Broken pipe") or a reset discards the refusal before it is read, and the client
//! never learns that the key may not add footage. A client that hangs up at once costs nothing;
//! at most [`MAX_LINGERING`] connections linger at a time, and past that they close at once.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How long a closing connection is read from after the client last sent something: a client
/// that read the refusal hangs up within a round trip.
const LINGER_QUIET: Duration = Duration::from_secs(2);
/// How long a closing connection is read from at most, however fast its client sends: time
/// enough for a client that reads while it sends (curl does) to read the refusal. A client that
/// reads only once its whole upload is sent may still miss it past this.
const LINGER_AT_MOST: Duration = Duration::from_secs(5);
/// Connections lingering at once, at most: each holds a socket and a 4 KiB buffer for up to
/// [`LINGER_AT_MOST`], so a flood of connections cannot make lingering hold more than this.
const MAX_LINGERING: usize = 1024;

/// The permits to linger, shared by every connection of one server.
#[derive(Clone)]
pub struct Lingering(Arc<Semaphore>);

impl Default for Lingering {
    fn default() -> Lingering {
        Lingering(Arc::new(Semaphore::new(MAX_LINGERING)))
    }
}

/// A connection whose reads fail once it has sent nothing for `quiet`, closed lingering.
pub struct QuietTimeout {
    /// Always `Some` until dropped: `Drop` takes it to linger on it.
    stream: Option<TcpStream>,
    quiet: Duration,
    deadline: Pin<Box<Sleep>>,
    lingering: Lingering,
}

impl QuietTimeout {
    pub fn new(stream: TcpStream, quiet: Duration, lingering: Lingering) -> QuietTimeout {
        QuietTimeout { stream: Some(stream), quiet, deadline: Box::pin(tokio::time::sleep(quiet)), lingering }
    }

    fn stream(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.stream.as_mut().map(Pin::new).ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl Drop for QuietTimeout {
    fn drop(&mut self) {
        // Past `MAX_LINGERING`, or without a runtime to linger on, the socket just closes.
        if let Some(stream) = self.stream.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
            && let Ok(permit) = Arc::clone(&self.lingering.0).try_acquire_owned()
        {
            runtime.spawn(linger(stream, permit));
        }
    }
}

/// Stops writing, then reads and discards until the client hangs up or the linger's limits pass.
async fn linger(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    let _ = stream.shutdown().await;
    let mut discarded = [0u8; 4 * 1024];
    let _ = tokio::time::timeout(LINGER_AT_MOST, async {
        while let Ok(Ok(read)) = tokio::time::timeout(LINGER_QUIET, stream.read(&mut discarded)).await {
            if read == 0 {
                break;
            }
        }
    })
    .await;
}

impl AsyncRead for QuietTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled = buffer.filled().len();
        let polled = self.stream()?.poll_read(context, buffer);
        match polled {
            Poll::Ready(Ok(())) => {
                if buffer.filled().len() > filled {
                    let next = Instant::now() + self.quiet;
                    self.deadline.as_mut().reset(next);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match self.deadline.as_mut().poll(context) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the client sent nothing for {} s", self.quiet.as_secs()),
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for QuietTimeout {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        self.stream()?.poll_write(context, bytes)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream()?.poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(TcpStream::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream()?.poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream()?.poll_shutdown(context)
    }
}

impl Connected for QuietTimeout {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        let unknown = TcpConnectInfo { local_addr: None, remote_addr: None };
        self.stream.as_ref().map_or(unknown, Connected::connect_info)
    }
}
