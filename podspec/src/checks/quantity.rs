//! Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`): the grammar of
//! `apimachinery/pkg/api/resource`, parsed to an `f64` that is exact enough to compare
//! requests with limits.

/// The value of `text`, or `None` when it is not a quantity.
pub(crate) fn parse(text: &str) -> Option<f64> {
    let split = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '+' || *c == '-'))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(split);
    let value = signed_number(number)?;
    let scale = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp => {
            let digits = exp.strip_prefix(['e', 'E'])?;
            let power = signed_number(digits)?;
            if power.fract() != 0.0 || digits.contains('.') {
                return None;
            }
            10f64.powf(power)
        }
    };
    Some(value * scale)
}

fn signed_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_ok =
        int.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    text.parse()
        .ok()
        .or_else(|| format!("{text}0").parse().ok())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_kubernetes_grammar() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1Gi"), parse("1024Mi"));
        assert_eq!(parse("2e3"), Some(2000.0));
        assert_eq!(parse(".5"), Some(0.5));
        assert_eq!(parse("1."), Some(1.0));
        assert_eq!(parse("-1"), Some(-1.0));
        for bad in ["", "1GB", "abc", "1.2.3", "Mi", "1e1.5", "--1", "1 Gi"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
