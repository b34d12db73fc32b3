//! Accepted connections, closed when they go quiet.
//!
//! hyper waits for an HTTP/2 client's preface forever, so a TCP connection that never sends a
//! byte would hold a socket and a task for as long as its peer likes. Every accepted connection
//! is therefore wrapped in [`QuietTimeout`]: when nothing has been read from it for the
//! configured time, its next read fails and hyper drops it. A live client is never quiet that
//! long: the server pings every connection at a third of the timeout (see `serve`), and every
//! HTTP/2 client answers pings, busy or idle.
//!
//! A connection the server closes while its client is still sending (an upload refused before
//! its body was read: no key, a reader's ingest, a body over the size limit) is closed
//! *lingering*, as nginx does: the server stops writing, then reads and discards what still
//! arrives until the client hangs up, goes quiet for [`LINGER_QUIET`] or [`LINGER_AT_MOST`] has
//! passed. Closing a socket with unread bytes makes the kernel answer with a reset, and a reset
//! makes the client's kernel throw away the refusal it had received but not yet read: the client
//! saw "connection reset" instead of "this key may not add footage".

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How long a closing connection is read from after the client last sent something: a client
/// that read the refusal hangs up within a round trip.
const LINGER_QUIET: Duration = Duration::from_secs(2);
/// How long a closing connection is read from at most, however fast its client sends: time
/// enough for any client to read the refusal, not enough to make the drain a way to hold a task.
const LINGER_AT_MOST: Duration = Duration::from_secs(5);

/// A connection whose reads fail once it has sent nothing for `quiet`, closed lingering.
pub struct QuietTimeout {
    /// Always `Some` until dropped: `Drop` takes it to linger on it.
    stream: Option<TcpStream>,
    addresses: TcpConnectInfo,
    quiet: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl QuietTimeout {
    pub fn new(stream: TcpStream, quiet: Duration) -> QuietTimeout {
        QuietTimeout {
            addresses: stream.connect_info(),
            stream: Some(stream),
            quiet,
            deadline: Box::pin(tokio::time::sleep(quiet)),
        }
    }

    fn stream(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.stream.as_mut().map(Pin::new).ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl Drop for QuietTimeout {
    fn drop(&mut self) {
        let (Some(stream), Ok(runtime)) = (self.stream.take(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        runtime.spawn(linger(stream));
    }
}

/// Stops writing, then reads and discards until the client hangs up or the linger's limits pass.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut discarded = [0u8; 16 * 1024];
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
        self.addresses.clone()
    }
}
