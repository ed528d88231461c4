//! Cutting a workload's output into log records: a record ends at a newline or after
//! [`RECORD_MAX`] bytes, whichever comes first, so neither the shim nor a reader ever holds
//! more than one bounded record of a line that never ends. Pure: bytes in, records out.

/// The most bytes of output in one record (16 KiB). A longer line becomes several records,
/// each with its own timestamp; a newline right after a cut ends the cut record (no empty
/// record), so where the pipe's reads happen to split the output never changes the records.
pub const RECORD_MAX: usize = 16 * 1024;

/// The unfinished record of one output stream.
#[derive(Debug)]
pub struct Records {
    max: usize,
    pending: Vec<u8>,
    /// The last record was cut at `max`: a newline now only ends it.
    after_cut: bool,
}

impl Default for Records {
    fn default() -> Self {
        Records::new(RECORD_MAX)
    }
}

impl Records {
    /// A splitter with records of at most `max` bytes (at least 1).
    pub fn new(max: usize) -> Self {
        Records {
            max: max.max(1),
            pending: Vec::new(),
            after_cut: false,
        }
    }

    /// Feeds `data`, calling `emit` with each record it completes (without its newline).
    /// Work is linear in `data`: each byte is looked at once, by `memchr`.
    pub fn feed(&mut self, mut data: &[u8], mut emit: impl FnMut(&[u8])) {
        if self.after_cut && !data.is_empty() {
            self.after_cut = false;
            if data[0] == b'\n' {
                data = &data[1..];
            }
        }
        while !data.is_empty() {
            let room = self.max - self.pending.len();
            // One byte more than fits: a newline right at the limit ends the record there.
            let look = &data[..data.len().min(room + 1)];
            let (record, rest, cut) = match memchr::memchr(b'\n', look) {
                Some(i) => (&data[..i], &data[i + 1..], false),
                None if data.len() >= room => (&data[..room], &data[room..], true),
                None => {
                    self.pending.extend_from_slice(data);
                    return;
                }
            };
            if self.pending.is_empty() {
                emit(record);
            } else {
                self.pending.extend_from_slice(record);
                emit(&self.pending);
                self.pending.clear();
            }
            data = rest;
            self.after_cut = cut && data.is_empty();
            if cut && data.first() == Some(&b'\n') {
                data = &data[1..];
            }
        }
    }

    /// Emits the unfinished record, if any (the stream has ended).
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.pending.is_empty() {
            emit(&self.pending);
            self.pending.clear();
        }
        self.after_cut = false;
    }

    /// Bytes held for the unfinished record (never more than the record size).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The specification, byte by byte.
    fn model(input: &[u8], max: usize) -> Vec<Vec<u8>> {
        let (mut out, mut cur, mut after_cut) = (Vec::new(), Vec::new(), false);
        for &b in input {
            if b == b'\n' {
                if !(after_cut && cur.is_empty()) {
                    out.push(std::mem::take(&mut cur));
                }
                after_cut = false;
                continue;
            }
            after_cut = false;
            cur.push(b);
            if cur.len() == max {
                out.push(std::mem::take(&mut cur));
                after_cut = true;
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Vec<u8>> {
        let mut records = Records::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            records.feed(chunk, |r| out.push(r.to_vec()));
            assert!(records.pending_len() < max);
        }
        records.finish(|r| out.push(r.to_vec()));
        out
    }

    #[test]
    fn lines_blank_lines_and_an_unfinished_last_one() {
        let out = split(&[b"a\n\nb", b"c\nd"], 16);
        assert_eq!(out, [&b"a"[..], b"", b"bc", b"d"]);
    }

    #[test]
    fn output_without_newlines_is_cut_at_the_limit() {
        let data = vec![b'x'; RECORD_MAX * 3 + 5];
        let out = split(&[&data], RECORD_MAX);
        let lens: Vec<usize> = out.iter().map(Vec::len).collect();
        assert_eq!(lens, [RECORD_MAX, RECORD_MAX, RECORD_MAX, 5]);
    }

    #[test]
    fn a_newline_right_after_a_cut_ends_that_record_wherever_the_reads_split() {
        let mut line = vec![b'y'; 8];
        line.push(b'\n');
        line.extend_from_slice(b"z\n");
        for at in 0..=line.len() {
            let (a, b) = line.split_at(at);
            assert_eq!(split(&[a, b], 8), [&b"yyyyyyyy"[..], b"z"], "split at {at}");
        }
    }

    proptest! {
        #[test]
        fn any_bytes_in_any_chunks_give_the_models_records(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'x'), Just(0u8), Just(0xffu8), Just(b'\r'), any::<u8>()],
                0..400,
            ),
            cuts in proptest::collection::vec(0usize..400, 0..6),
            max in 1usize..12,
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([input.len()]) {
                chunks.push(&input[from..c]);
                from = c;
            }
            let out = split(&chunks, max);
            prop_assert!(out.iter().all(|r| r.len() <= max && !r.contains(&b'\n')));
            prop_assert_eq!(out, model(&input, max));
        }

        #[test]
        fn huge_lines_at_the_real_limit(len in 0usize..(3 * RECORD_MAX), step in 1usize..70_000) {
            let mut input = vec![b'q'; len];
            input.push(b'\n');
            let chunks: Vec<&[u8]> = input.chunks(step).collect();
            prop_assert_eq!(split(&chunks, RECORD_MAX), model(&input, RECORD_MAX));
        }
    }
}
