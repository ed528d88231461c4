//! Mutating a seed manifest for the property tests; shared by the unit tests (`src/tests`) and
//! the robustness tests, included in both with `#[path]`.

/// Applies `edits` (position, action, char) to `seed` on char boundaries: action 0 inserts
/// the char, 1 removes the char at the position, 2 replaces it.
pub fn mutate(seed: &str, edits: &[(usize, u8, char)]) -> String {
    let mut text: Vec<char> = seed.chars().collect();
    for &(pos, action, c) in edits {
        let at = pos % (text.len() + 1);
        match action % 3 {
            0 => text.insert(at, c),
            1 if at < text.len() => {
                text.remove(at);
            }
            _ if at < text.len() => text[at] = c,
            _ => {}
        }
    }
    text.into_iter().collect()
}
