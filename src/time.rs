//! Time, one way throughout: inside firstseen every instant of a video (a keyframe, a segment's
//! ends, a duration) is whole milliseconds from its start as a `u32`, which holds six hours
//! seven hundred times over and costs four bytes a keyframe; only where people and JSON read it
//! is it seconds, as an `f64`. These two functions are the crossings between the two (decoding
//! converts a stream's own time bases, in `media::decode`).

/// `ms` as seconds.
pub fn seconds(ms: u32) -> f64 {
    f64::from(ms) / 1000.0
}

/// `seconds` as whole milliseconds, rounded; negative and not-a-number times are 0, and times
/// past what a `u32` holds are its largest.
pub fn millis(seconds: f64) -> u32 {
    (seconds * 1000.0).round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A stretch of a video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub start_ms: u32,
    pub end_ms: u32,
}

impl Segment {
    pub fn start_seconds(&self) -> f64 {
        seconds(self.start_ms)
    }

    pub fn end_seconds(&self) -> f64 {
        seconds(self.end_ms)
    }

    pub fn duration_ms(&self) -> u32 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_and_seconds_convert_both_ways_and_clamp() {
        assert_eq!(seconds(1_500), 1.5);
        assert_eq!(millis(1.5), 1_500);
        assert_eq!(millis(0.0004), 0);
        assert_eq!(millis(-3.0), 0);
        assert_eq!(millis(f64::NAN), 0);
        assert_eq!(millis(1e12), u32::MAX);
        assert_eq!(millis(seconds(123_456)), 123_456);
    }
}
