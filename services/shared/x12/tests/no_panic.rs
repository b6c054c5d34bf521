//! Robustness: no input, random or a mutation of a valid file, makes the reader panic.

use proptest::prelude::*;
use rx_x12::{HlTree, read, read_lenient, stream_lenient};

const VALID: &[&[u8]] = &[
    include_bytes!("../../../../tests/fixtures/synthetic/271_massage_benefits.x12"),
    include_bytes!("../../../../tests/fixtures/synthetic/837p_massage_original_freq1.x12"),
    include_bytes!("../../../../tests/fixtures/x12/271/tigershark_5010_271_example_1.x12"),
];

/// Reads both ways and walks every HL tree: nothing may panic; results are ignored.
fn exercise(bytes: &[u8]) {
    let _ = read(bytes);
    let mut streamed = 0usize;
    let _ = stream_lenient(bytes, &mut |_, t| streamed += t.segments.len());
    if let Ok(l) = read_lenient(bytes) {
        for (_, t) in l.document.transactions() {
            if let Ok(tree) = HlTree::build(&t.segments) {
                for i in 0..tree.loops.len() {
                    let _ = tree.ancestors(i).count();
                }
            }
            for s in &t.segments {
                let _ = (s.element(3), s.component(1, 2), s.repetitions(3).count());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(b"*~^:|\n\r\x1dISAGE0 \xff".to_vec()))
            .prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = bytes.len().max(1);
    match m {
        Mutation::Replace(i, b) => {
            if let Some(x) = bytes.get_mut(i % len) {
                *x = *b;
            }
        }
        Mutation::Delete(i, n) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Mutation::Insert(i, v) => {
            let at = (i % len).min(bytes.len());
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Truncate(i) => bytes.truncate(i % len),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise(&bytes);
    }

    #[test]
    fn isa_prefixed_random_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = VALID[0][..106].to_vec();
        bytes.extend(tail);
        exercise(&bytes);
    }

    #[test]
    fn mutated_valid_files_never_panic(
        which in 0usize..3,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = VALID[which % VALID.len()].to_vec();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        exercise(&bytes);
    }
}
