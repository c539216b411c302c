//! Check digits of the identities a modem reports.

/// True when the last digit of `digits` is its Luhn check digit.
pub fn luhn_valid(digits: &str) -> bool {
    let Some((body, check)) = digits.len().checked_sub(1).map(|n| digits.split_at(n)) else {
        return false;
    };
    match (luhn_digit(body), check.parse::<u8>()) {
        (Some(d), Ok(c)) => d == c,
        _ => false,
    }
}

/// The Luhn check digit for `body`, or `None` if it holds a non-digit.
pub fn luhn_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        let d = (b as char).to_digit(10)?;
        let d = if i % 2 == 0 { d * 2 } else { d };
        sum += if d > 9 { d - 9 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_imei() {
        // 49015420323751 is the textbook IMEI body; 8 is its check digit.
        assert_eq!(luhn_digit("49015420323751"), Some(8));
        assert!(luhn_valid("490154203237518"));
        assert!(!luhn_valid("490154203237519"));
    }
}
