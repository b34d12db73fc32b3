//! The sample counts an MP4/MOV file declares, read before FFmpeg builds its index from them.
//!
//! FFmpeg's mov demuxer allocates an index entry (24 bytes) for every sample a track declares,
//! while the file is being opened: before any frame is decoded and before the decode's memory is
//! reserved. A track can declare millions of samples in a few bytes (a constant-size `stsz`, a
//! one-entry `stts`, a `trun` without per-sample fields): 80 million samples in a 212 KB file
//! cost 2 GB. So the boxes are walked first, reading headers only, and a file that declares more
//! samples than a six-hour video at 120 frames a second (about 62 MB of index) is refused.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::MediaError;
use super::decode::MAX_VIDEO_SECONDS;

/// Most samples one track may declare: six hours at 120 frames a second.
pub const MAX_TRACK_SAMPLES: u64 = MAX_VIDEO_SECONDS as u64 * 120;
/// Most samples the whole file may declare, over its tracks and fragments.
const MAX_FILE_SAMPLES: u64 = 4 * MAX_TRACK_SAMPLES;
/// Boxes looked at before the walk gives up (a file of a million empty boxes is not a video).
const MAX_BOXES: usize = 100_000;
/// Nesting followed: moov/trak/mdia/minf/stbl is five deep.
const MAX_DEPTH: usize = 8;

/// First box types of the mov family's files: the ones whose sample tables are checked.
const MOV_FIRST_BOXES: [&[u8; 4]; 8] = [b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"moof"];
/// Boxes whose children hold sample tables.
const CONTAINERS: [&[u8; 4]; 7] = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf"];

/// What a track's boxes say.
#[derive(Default)]
struct Track {
    sound: bool,
    samples: u64,
    /// `stts` of one entry with a delta of one: FFmpeg indexes such (uncompressed audio) tracks
    /// by chunk, not by sample.
    one_tick_timing: bool,
}

/// Refuses an MP4/MOV whose tracks declare more samples than a real video has; any other file
/// passes untouched.
pub fn check(path: &Path) -> Result<(), MediaError> {
    let io = |source| MediaError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::new(file);
    let mut first = [0u8; 8];
    if reader.read_exact(&mut first).is_err() || !MOV_FIRST_BOXES.iter().any(|kind| first[4..8] == kind[..]) {
        return Ok(());
    }
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut walk = Walk { reader, boxes: 0, fragment_samples: 0, tracks: Vec::new() };
    // A malformed box ends the walk: FFmpeg decides what such a file is; only declared counts
    // are judged here.
    let _ = walk.boxes_in(0, length, 0, None);
    let mut total = walk.fragment_samples;
    for track in &walk.tracks {
        if track.sound && track.one_tick_timing {
            continue;
        }
        if track.samples > MAX_TRACK_SAMPLES {
            return Err(MediaError::TooManySamples { declared: track.samples, max: MAX_TRACK_SAMPLES });
        }
        total += track.samples;
    }
    if total > MAX_FILE_SAMPLES {
        return Err(MediaError::TooManySamples { declared: total, max: MAX_FILE_SAMPLES });
    }
    Ok(())
}

struct Walk {
    reader: BufReader<File>,
    boxes: usize,
    fragment_samples: u64,
    tracks: Vec<Track>,
}

impl Walk {
    /// Visits the boxes from `start` to `end`; `track` is the index of the enclosing `trak`.
    fn boxes_in(&mut self, start: u64, end: u64, depth: usize, track: Option<usize>) -> Option<()> {
        let mut at = start;
        while at + 8 <= end {
            self.boxes += 1;
            if self.boxes > MAX_BOXES || depth > MAX_DEPTH {
                return None;
            }
            self.reader.seek(SeekFrom::Start(at)).ok()?;
            let size = u64::from(self.u32()?);
            let kind = self.bytes4()?;
            let (header, size) = match size {
                1 => (16, self.u64()?),
                0 => (8, end - at),
                size => (8, size),
            };
            if size < header || at.checked_add(size)? > end {
                return None;
            }
            let (body, box_end) = (at + header, at + size);
            if CONTAINERS.iter().any(|container| kind == **container) {
                let inner = if &kind == b"trak" {
                    self.tracks.push(Track::default());
                    Some(self.tracks.len() - 1)
                } else {
                    track
                };
                self.boxes_in(body, box_end, depth + 1, inner)?;
            } else {
                self.leaf(&kind, track);
            }
            at = box_end;
        }
        Some(())
    }

    /// Reads what a leaf box declares; the reader stands at its body.
    fn leaf(&mut self, kind: &[u8; 4], track: Option<usize>) -> Option<()> {
        match kind {
            b"hdlr" => {
                let _version_flags_and_predefined = (self.u32()?, self.u32()?);
                let handler = self.bytes4()?;
                self.tracks.get_mut(track?)?.sound = &handler == b"soun";
            }
            b"stsz" => {
                let _version_flags_and_size = (self.u32()?, self.u32()?);
                self.tracks.get_mut(track?)?.samples = u64::from(self.u32()?);
            }
            b"stz2" => {
                let _version_flags_and_field_size = (self.u32()?, self.u32()?);
                self.tracks.get_mut(track?)?.samples = u64::from(self.u32()?);
            }
            b"stts" => {
                let _version_flags = self.u32()?;
                let entries = self.u32()?;
                let _count = self.u32()?;
                let delta = self.u32()?;
                self.tracks.get_mut(track?)?.one_tick_timing = entries == 1 && delta == 1;
            }
            b"trun" => {
                let _version_flags = self.u32()?;
                self.fragment_samples = self.fragment_samples.saturating_add(u64::from(self.u32()?));
            }
            _ => {}
        }
        Some(())
    }

    fn bytes4(&mut self) -> Option<[u8; 4]> {
        let mut bytes = [0; 4];
        self.reader.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes4().map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        let mut bytes = [0; 8];
        self.reader.read_exact(&mut bytes).ok()?;
        Some(u64::from_be_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut bytes = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(body);
        bytes
    }

    fn file_declaring(samples: u32, handler: &[u8; 4]) -> tempfile::NamedTempFile {
        let hdlr = mp4_box(b"hdlr", &[&[0u8; 8][..], handler, &[0; 12]].concat());
        let stsz = mp4_box(b"stsz", &[&[0u8; 4][..], &1u32.to_be_bytes(), &samples.to_be_bytes()].concat());
        let stts = mp4_box(
            b"stts",
            &[&[0u8; 4][..], &1u32.to_be_bytes(), &samples.to_be_bytes(), &40u32.to_be_bytes()].concat(),
        );
        let stbl = mp4_box(b"stbl", &[stts, stsz].concat());
        let minf = mp4_box(b"minf", &stbl);
        let mdia = mp4_box(b"mdia", &[hdlr, minf].concat());
        let trak = mp4_box(b"trak", &mdia);
        let moov = mp4_box(b"moov", &trak);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&[mp4_box(b"ftyp", b"isom\0\0\0\0isom"), moov].concat()).unwrap();
        file
    }

    #[test]
    fn a_track_declaring_millions_of_samples_in_a_few_bytes_is_refused() {
        let hostile = file_declaring(80_000_000, b"vide");
        let refused = check(hostile.path()).unwrap_err();
        assert!(matches!(refused, MediaError::TooManySamples { declared: 80_000_000, .. }), "{refused}");
        check(file_declaring(25 * 600, b"vide").path()).expect("ten minutes at 25 fps");
    }

    #[test]
    fn real_files_and_other_containers_pass() {
        let bikes = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bikes.mp4");
        check(&bikes).unwrap();
        let mut text = tempfile::NamedTempFile::new().unwrap();
        text.write_all(b"#EXTM3U\n").unwrap();
        check(text.path()).unwrap();
    }
}
