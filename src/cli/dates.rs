//! Dates as people type them: a day (`2020-11-10`, taken as midnight UTC) or RFC 3339.

use chrono::{DateTime, NaiveDate, Utc};

pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.to_utc())
        .map_err(|_| format!("'{text}' is not a date: use 2020-11-10 or RFC 3339 (2020-11-10T14:30:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_days_and_rfc3339_and_explains_the_rest() {
        assert_eq!(parse_date("2020-11-10").unwrap().to_rfc3339(), "2020-11-10T00:00:00+00:00");
        assert_eq!(parse_date("2020-11-10T14:30:00+02:00").unwrap().to_rfc3339(), "2020-11-10T12:30:00+00:00");
        assert!(parse_date("10/11/2020").unwrap_err().contains("2020-11-10"));
    }
}
