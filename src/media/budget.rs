//! How much memory decodes may hold at once, and what one decode will need.
//!
//! A video's header is a promise about memory: an 8192×8192 H.264 stream makes the decoder
//! allocate 100 MB for every frame it keeps, whatever the file's own size (a 4 KB file can
//! declare it). So before a decode starts, its frame size, the reference frames its codec may
//! keep and the frames its threads hold in flight give an upper bound on what it will allocate
//! ([`DecodeCost`]). Decodes run only while the sum of their bounds fits one [`MemoryBudget`];
//! a decode that would not fit waits for others to finish, and a video that alone exceeds the
//! budget is refused. The decoder is then told never to accept a larger frame than the one it
//! was admitted with (`max_pixels`), so a stream that changes size mid-way cannot outgrow its
//! reservation.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::MediaError;

/// The default budget: decodes of a server that fits in 2 GiB, with room left for the search
/// table and RocksDB. On two frame threads, three 4K H.264 decodes fit at once, twelve 1080p
/// ones (with eight threads, two and nine); an 8192×8192 one does not fit at all.
pub const DEFAULT_DECODE_BUDGET_BYTES: u64 = 1 << 30;

/// Longest a decode waits for room before it is refused as "the server is busy".
const LONGEST_WAIT: Duration = Duration::from_secs(120);

/// What one decode is expected to hold at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeCost {
    pub bytes: u64,
}

impl DecodeCost {
    /// The bound for a stream of `width`×`height` pixels of `codec`, decoded on `threads`
    /// frame threads: every frame the codec may keep for reference, one more per thread in
    /// flight, and two for the frame being returned and the one being scaled.
    pub fn of_stream(width: u32, height: u32, bits_per_sample: u32, codec: &str, threads: u32) -> DecodeCost {
        // 4:2:0 is 1.5 samples a pixel; 4:4:4 is 3, and high bit depths take 2 bytes a sample.
        // The bound assumes 4:4:4 at 8 bits or 4:2:0 at 16, whichever a header says: two bytes
        // a sample would overcount 8-bit 4:2:0 video, the usual case, by a third only.
        let bytes_per_pixel = if bits_per_sample > 8 { 3 } else { 2 };
        let frame = u64::from(width) * u64::from(height) * bytes_per_pixel;
        let frames = u64::from(reference_frames(codec)) + u64::from(threads) + 2;
        DecodeCost { bytes: frame * frames }
    }
}

/// Frames a decoder of `codec` may keep as references: the largest decoded picture buffer the
/// standard allows, since the header's own figure cannot be trusted before decoding.
fn reference_frames(codec: &str) -> u32 {
    match codec {
        "h264" | "hevc" | "vvc" => 16,
        "vp9" | "av1" | "vp8" => 8,
        // MPEG-2, MPEG-4 Part 2, MJPEG, ProRes and the like keep at most two.
        _ => 2,
    }
}

/// A pool of bytes that decodes reserve from before they start.
#[derive(Debug)]
pub struct MemoryBudget {
    total: u64,
    reserved: Mutex<u64>,
    released: Condvar,
}

impl MemoryBudget {
    pub fn new(total: u64) -> MemoryBudget {
        MemoryBudget { total, reserved: Mutex::new(0), released: Condvar::new() }
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes reserved by decodes running now.
    pub fn reserved(&self) -> u64 {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // The guarded value is a plain counter, consistent between any two statements.
        self.reserved.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves `cost`, waiting while other decodes hold the room it needs. Refused at once
    /// when the video alone needs more than the whole budget.
    pub fn reserve(&self, cost: DecodeCost) -> Result<Reservation<'_>, MediaError> {
        if cost.bytes > self.total {
            return Err(MediaError::TooMuchMemory { needed_mib: mib(cost.bytes), budget_mib: mib(self.total) });
        }
        let reserved = self.lock();
        let (mut reserved, waited) = self
            .released
            .wait_timeout_while(reserved, LONGEST_WAIT, |reserved| *reserved + cost.bytes > self.total)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if waited.timed_out() && *reserved + cost.bytes > self.total {
            return Err(MediaError::Busy { waited_seconds: LONGEST_WAIT.as_secs() });
        }
        *reserved += cost.bytes;
        Ok(Reservation { budget: self, bytes: cost.bytes })
    }
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::new(DEFAULT_DECODE_BUDGET_BYTES)
    }
}

fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Room held in a [`MemoryBudget`] by one decode; given back when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        *self.budget.lock() -= self.bytes;
        self.budget.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_huge_header_costs_more_than_the_default_budget_and_ordinary_video_fits_many_times() {
        let huge = DecodeCost::of_stream(8192, 8192, 8, "h264", 2);
        assert!(huge.bytes > DEFAULT_DECODE_BUDGET_BYTES, "{huge:?}");
        let uhd = DecodeCost::of_stream(3840, 2160, 8, "h264", 2);
        assert!(uhd.bytes * 3 <= DEFAULT_DECODE_BUDGET_BYTES, "{uhd:?}");
        let hd = DecodeCost::of_stream(1920, 1080, 8, "h264", 2);
        assert!(hd.bytes * 12 <= DEFAULT_DECODE_BUDGET_BYTES, "{hd:?}");
    }

    #[test]
    fn a_video_over_the_whole_budget_is_refused_and_one_that_fits_waits_for_room() {
        let budget = Arc::new(MemoryBudget::new(100));
        let refused = budget.reserve(DecodeCost { bytes: 101 }).unwrap_err();
        assert!(refused.to_string().contains("memory"), "{refused}");

        let first = budget.reserve(DecodeCost { bytes: 60 }).unwrap();
        assert_eq!(budget.reserved(), 60);
        let waiting = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || {
                let _second = budget.reserve(DecodeCost { bytes: 60 }).unwrap();
                budget.reserved()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(budget.reserved(), 60, "the second decode waits while the first holds the room");
        drop(first);
        assert_eq!(waiting.join().unwrap(), 60, "then runs alone");
        assert_eq!(budget.reserved(), 0, "and gives its room back");
    }
}
