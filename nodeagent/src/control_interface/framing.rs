//! The wire framing of the control interface: each message is its length as a protobuf varint
//! followed by that many protobuf bytes (prost's `encode_length_delimited`). [`Decoder`] is the
//! pure, incremental reader side: it takes the varint one byte at a time (at most 10 bytes),
//! refuses a length above [`MAX_FRAME`] before allocating anything, and grows the body buffer
//! only as bytes arrive, so a lying length prefix costs no memory.

use prost::Message;

/// The largest message the agent reads from a workload (4 MiB, as Ankaios). Forwarded to the
/// server inside the agent stream's envelope, it fits [`ank_transport::MAX_AGENT_MESSAGE_BYTES`].
pub const MAX_FRAME: u64 = ank_transport::MAX_MESSAGE_BYTES as u64;
/// The longest varint of a u64.
const MAX_VARINT: usize = 10;
/// How much body buffer is reserved at once, so that memory follows the bytes that arrive.
const CHUNK: usize = 64 * 1024;

/// Why a stream of frames cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length prefix is not a valid varint of a u64.
    #[error("invalid length prefix")]
    BadPrefix,
    /// The announced length is above [`MAX_FRAME`].
    #[error("Message of {0} bytes exceeds the limit of {MAX_FRAME} bytes")]
    TooLarge(u64),
}

/// Where the decoder is within the current frame.
#[derive(Debug)]
enum State {
    /// Reading the length: the value so far and the bytes read.
    Prefix { value: u64, read: usize },
    /// Reading the body: its length and the bytes so far.
    Body { len: usize, buf: Vec<u8> },
}

/// An incremental frame decoder; see the module docs.
#[derive(Debug)]
pub struct Decoder {
    state: State,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            state: State::Prefix { value: 0, read: 0 },
        }
    }
}

impl Decoder {
    /// The most bytes the decoder takes in its next [`Decoder::push`]: one while reading the
    /// length, else what is left of the body (never 0).
    pub fn wants(&self) -> usize {
        match &self.state {
            State::Prefix { .. } => 1,
            State::Body { len, buf } => (len - buf.len()).clamp(1, CHUNK),
        }
    }

    /// Whether the decoder is between frames.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Prefix { read: 0, .. })
    }

    /// Drops a partly read frame.
    pub fn reset(&mut self) {
        *self = Decoder::default();
    }

    /// Takes `bytes` (at most [`Decoder::wants`] of them; more is a caller bug and is refused
    /// as a bad prefix) and returns a frame once one is complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, FrameError> {
        if bytes.len() > self.wants() {
            return Err(FrameError::BadPrefix);
        }
        match &mut self.state {
            State::Prefix { value, read } => {
                let Some(&byte) = bytes.first() else {
                    return Ok(None);
                };
                let bits = u64::from(byte & 0x7f);
                // The tenth byte holds the last bit of a u64.
                if *read == MAX_VARINT - 1 && bits > 1 {
                    return Err(FrameError::BadPrefix);
                }
                *value |= bits << (7 * *read);
                *read += 1;
                if byte & 0x80 != 0 {
                    return if *read == MAX_VARINT {
                        Err(FrameError::BadPrefix)
                    } else {
                        Ok(None)
                    };
                }
                let len = *value;
                if len > MAX_FRAME {
                    return Err(FrameError::TooLarge(len));
                }
                let len = usize::try_from(len).map_err(|_| FrameError::TooLarge(len))?;
                if len == 0 {
                    self.reset();
                    return Ok(Some(Vec::new()));
                }
                self.state = State::Body {
                    len,
                    buf: Vec::with_capacity(len.min(CHUNK)),
                };
                Ok(None)
            }
            State::Body { len, buf } => {
                buf.extend_from_slice(bytes);
                if buf.len() < *len {
                    return Ok(None);
                }
                let frame = std::mem::take(buf);
                self.reset();
                Ok(Some(frame))
            }
        }
    }
}

/// A message with its length prefix, ready to be written.
pub fn encode(message: &impl Message) -> Vec<u8> {
    message.encode_length_delimited_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `bytes` as the reader would (at most `wants` at a time), collecting frames.
    fn feed(decoder: &mut Decoder, mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut frames = Vec::new();
        while !bytes.is_empty() {
            let n = decoder.wants().min(bytes.len());
            if let Some(frame) = decoder.push(&bytes[..n])? {
                frames.push(frame);
            }
            bytes = &bytes[n..];
        }
        Ok(frames)
    }

    fn varint(value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        prost::encoding::encode_varint(value, &mut out);
        out
    }

    #[test]
    fn hello_test_vector_is_one_frame() {
        let bytes = [0x09, 0x0a, 0x07, 0x12, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x30];
        let mut decoder = Decoder::default();
        let frames = feed(&mut decoder, &bytes).expect("valid");
        assert_eq!(frames, vec![bytes[1..].to_vec()]);
        assert!(decoder.is_idle());
    }

    #[test]
    fn two_gib_prefix_is_refused_naming_the_limit_without_allocating() {
        let mut decoder = Decoder::default();
        let err = feed(&mut decoder, &varint(2 * 1024 * 1024 * 1024)).expect_err("too large");
        assert_eq!(err, FrameError::TooLarge(2_147_483_648));
        assert_eq!(
            err.to_string(),
            "Message of 2147483648 bytes exceeds the limit of 4194304 bytes"
        );
    }

    #[test]
    fn eleven_continuation_bytes_are_a_bad_prefix() {
        let mut decoder = Decoder::default();
        let err = feed(&mut decoder, &[0xff; 11]).expect_err("bad");
        assert_eq!(err, FrameError::BadPrefix);
        let mut decoder = Decoder::default();
        let mut overflow = vec![0xff; 9];
        overflow.push(0x02);
        assert_eq!(feed(&mut decoder, &overflow), Err(FrameError::BadPrefix));
    }

    #[test]
    fn truncated_frame_waits_and_empty_frame_is_a_frame() {
        let mut decoder = Decoder::default();
        assert_eq!(feed(&mut decoder, &[0x05, 1, 2]), Ok(vec![]));
        assert!(!decoder.is_idle());
        assert_eq!(decoder.wants(), 3);
        assert_eq!(
            feed(&mut decoder, &[3, 4, 5, 0x00]),
            Ok(vec![vec![1, 2, 3, 4, 5], vec![]])
        );
    }

    proptest! {
        #[test]
        fn frames_round_trip(bodies in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8)) {
            let mut wire = Vec::new();
            for body in &bodies {
                wire.extend(varint(body.len() as u64));
                wire.extend(body);
            }
            let mut decoder = Decoder::default();
            prop_assert_eq!(feed(&mut decoder, &wire), Ok(bodies));
            prop_assert!(decoder.is_idle());
        }

        #[test]
        fn hostile_lengths_are_refused_or_wait(len in any::<u64>(), tail in prop::collection::vec(any::<u8>(), 0..64)) {
            let mut wire = varint(len);
            wire.extend(&tail);
            let mut decoder = Decoder::default();
            match feed(&mut decoder, &wire) {
                Err(FrameError::TooLarge(n)) => prop_assert!(n > MAX_FRAME && n == len),
                Err(FrameError::BadPrefix) => prop_assert!(false, "a valid varint"),
                Ok(frames) => {
                    prop_assert!(len <= MAX_FRAME);
                    if (len as usize) > tail.len() {
                        prop_assert!(frames.is_empty());
                    }
                }
            }
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let mut decoder = Decoder::default();
            let _ = feed(&mut decoder, &bytes);
        }
    }
}
