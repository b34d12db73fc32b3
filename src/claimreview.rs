//! schema.org `ClaimReview` JSON-LD: the markup fact-checkers put on every article, read into
//! reviews and written back out.
//!
//! A fact-check page carries it in a `<script type="application/ld+json">` block: one
//! `ClaimReview` object, an array of them, or a `@graph` holding them among other things. Reading
//! takes any of those and keeps every `ClaimReview`; each one must have what a report needs to be
//! trusted and followed up (`claimReviewed`, `author.name`, `reviewRating.alternateName`, `url`,
//! `datePublished`), and a missing or malformed field is refused with the field's JSON-LD path.
//! Writing gives one object per review in the shape Google's fact-check guidelines describe, so a
//! CMS can publish it as it is.
//!
//! | JSON-LD | review field |
//! |---|---|
//! | `claimReviewed` | `claim` |
//! | `itemReviewed.author.name` | `claimant` |
//! | `itemReviewed.appearance.url` (or `firstAppearance.url`) | `claim_url` |
//! | `itemReviewed.datePublished` | `claim_date` |
//! | `inLanguage` (or `itemReviewed.inLanguage`) | `language` |
//! | `author.name`, `author.url` | `reviewer`, `reviewer_url` |
//! | `reviewRating.alternateName` | `rating` |
//! | `reviewRating.ratingValue`, `worstRating`, `bestRating` | `numeric_rating` (scale 1–5 when unstated, as schema.org says) |
//! | `url`, `datePublished` | `url`, `published` |

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde_json::{Map, Value, json};

use crate::presentation;
use crate::proto::{self, v1};

/// schema.org's default scale when a rating states none.
const DEFAULT_WORST_RATING: f64 = 1.0;
const DEFAULT_BEST_RATING: f64 = 5.0;

/// Why JSON-LD is not a usable ClaimReview, naming the field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Malformed(pub String);

fn malformed(message: impl Into<String>) -> Malformed {
    Malformed(message.into())
}

/// Every ClaimReview in a JSON-LD document, as reviews to send. A document with none is refused.
pub fn read(text: &str) -> Result<Vec<v1::Review>, Malformed> {
    let document: Value = serde_json::from_str(text)
        .map_err(|error| malformed(format!("not JSON-LD: the JSON does not parse ({error})")))?;
    let mut reviews = Vec::new();
    for (n, node) in claim_reviews(&document).into_iter().enumerate() {
        let review = review(node).map_err(|Malformed(why)| {
            if n == 0 { Malformed(why) } else { malformed(format!("ClaimReview {}: {why}", n + 1)) }
        })?;
        reviews.push(review);
    }
    if reviews.is_empty() {
        return Err(malformed("no ClaimReview in the JSON-LD: no object has \"@type\": \"ClaimReview\""));
    }
    Ok(reviews)
}

/// One ClaimReview object, as [`write`] gives it.
pub fn read_one(value: &Value) -> Result<v1::Review, Malformed> {
    match value {
        Value::Object(object) if has_type(object, "ClaimReview") => review(object),
        _ => Err(malformed("not a ClaimReview: \"@type\" is not \"ClaimReview\"")),
    }
}

/// The ClaimReview objects of a document, in order: at its top, in an array, or in `@graph`.
fn claim_reviews(document: &Value) -> Vec<&Map<String, Value>> {
    match document {
        Value::Array(items) => items.iter().flat_map(claim_reviews).collect(),
        Value::Object(object) if has_type(object, "ClaimReview") => vec![object],
        Value::Object(object) => object.get("@graph").map(claim_reviews).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn has_type(object: &Map<String, Value>, wanted: &str) -> bool {
    let is = |value: &Value| value.as_str().is_some_and(|name| name == wanted || name.ends_with(&format!("/{wanted}")));
    match object.get("@type") {
        Some(Value::Array(types)) => types.iter().any(is),
        Some(value) => is(value),
        None => false,
    }
}

fn review(node: &Map<String, Value>) -> Result<v1::Review, Malformed> {
    let item = first_object(node, "itemReviewed")?;
    // Some markup names the fact-checker as bare text: "author": "Misbar".
    let named;
    let author = match node.get("author") {
        Some(Value::String(name)) => {
            named = Map::from_iter([("name".to_owned(), Value::String(name.clone()))]);
            &named
        }
        _ => first_object(node, "author")?.ok_or_else(|| missing("author.name"))?,
    };
    let rating = first_object(node, "reviewRating")?.ok_or_else(|| missing("reviewRating.alternateName"))?;
    let claimant = match item {
        Some(item) => match item.get("author") {
            Some(Value::String(name)) => name.clone(),
            _ => first_object(item, "author")?
                .map(|author| text(author, "name", "itemReviewed.author.name"))
                .transpose()?
                .unwrap_or_default(),
        },
        None => String::new(),
    };
    let claim_url = match item {
        Some(item) => {
            let appearance = match first_object(item, "appearance")? {
                Some(appearance) => Some(appearance),
                None => first_object(item, "firstAppearance")?,
            };
            appearance
                .map(|appearance| text(appearance, "url", "itemReviewed.appearance.url"))
                .transpose()?
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let language = match node.get("inLanguage").or_else(|| item.and_then(|item| item.get("inLanguage"))) {
        None => String::new(),
        Some(Value::String(code)) => code.clone(),
        Some(Value::Object(language)) => match language.get("alternateName").or_else(|| language.get("name")) {
            Some(Value::String(code)) => code.clone(),
            _ => return Err(malformed("inLanguage has neither a name nor an alternateName")),
        },
        Some(_) => return Err(malformed("inLanguage must be a language code such as \"en\"")),
    };
    let numeric_rating = match rating.get("ratingValue") {
        // An empty ratingValue is common markup for "no numeric scale".
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(value) => Some(v1::NumericRating {
            value: number(value, "reviewRating.ratingValue")?,
            worst: rating
                .get("worstRating")
                .map(|n| number(n, "reviewRating.worstRating"))
                .transpose()?
                .unwrap_or(DEFAULT_WORST_RATING),
            best: rating
                .get("bestRating")
                .map(|n| number(n, "reviewRating.bestRating"))
                .transpose()?
                .unwrap_or(DEFAULT_BEST_RATING),
        }),
    };
    Ok(v1::Review {
        claim: required(node, "claimReviewed", "claimReviewed")?,
        claimant,
        claim_url,
        claim_date: item
            .and_then(|item| item.get("datePublished"))
            .map(|date| timestamp(date, "itemReviewed.datePublished"))
            .transpose()?,
        language,
        reviewer: required(author, "name", "author.name")?,
        reviewer_url: author.get("url").map(|_| text(author, "url", "author.url")).transpose()?.unwrap_or_default(),
        rating: required(rating, "alternateName", "reviewRating.alternateName")?,
        numeric_rating,
        url: required(node, "url", "url")?,
        published: Some(timestamp(
            node.get("datePublished").ok_or_else(|| missing("datePublished"))?,
            "datePublished",
        )?),
        ..v1::Review::default()
    })
}

fn missing(path: &str) -> Malformed {
    malformed(format!("{path} is missing"))
}

/// `key` of `node` as an object, when present.
fn object_at<'a>(node: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Map<String, Value>>, Malformed> {
    match node.get(key) {
        None => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(malformed(format!("{key} must be an object"))),
    }
}

/// `key` of `node` as an object, or the first of an array of them (JSON-LD allows either).
fn first_object<'a>(node: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Map<String, Value>>, Malformed> {
    match node.get(key) {
        Some(Value::Array(items)) => match items.first() {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object)),
            Some(_) => Err(malformed(format!("{key} must be an object or an array of objects"))),
        },
        _ => object_at(node, key),
    }
}

fn text(node: &Map<String, Value>, key: &str, path: &str) -> Result<String, Malformed> {
    match node.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.trim().to_owned()),
        Some(_) => Err(malformed(format!("{path} must be text"))),
    }
}

fn required(node: &Map<String, Value>, key: &str, path: &str) -> Result<String, Malformed> {
    let value = text(node, key, path)?;
    if value.is_empty() { Err(missing(path)) } else { Ok(value) }
}

/// A number, or text holding one ("4"): fact-checkers' markup has both.
fn number(value: &Value, path: &str) -> Result<f64, Malformed> {
    let parsed = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    parsed.filter(|n: &f64| n.is_finite()).ok_or_else(|| malformed(format!("{path} must be a number; got {value}")))
}

/// An ISO 8601 date or date-time; one without a zone is taken as UTC.
fn timestamp(value: &Value, path: &str) -> Result<prost_types::Timestamp, Malformed> {
    let text =
        value.as_str().ok_or_else(|| malformed(format!("{path} must be an ISO 8601 date such as \"2023-09-25\"")))?;
    let text = text.trim();
    let zoneless = |format| NaiveDateTime::parse_from_str(text, format).map(|time| time.and_utc());
    presentation::parse_date(text)
        .or_else(|_| zoneless("%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| zoneless("%Y-%m-%d %H:%M:%S%.f"))
        .map(proto::date_to_wire)
        .map_err(|_| malformed(format!("{path} is {text:?}, not an ISO 8601 date such as \"2023-09-25\"")))
}

/// A review as ClaimReview JSON-LD, ready for a `<script type="application/ld+json">` block.
pub fn write(review: &v1::Review) -> Value {
    let mut claim_review = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": review.url,
        "datePublished": iso_date(review.published.as_ref()),
        "claimReviewed": review.claim,
        "author": organisation(&review.reviewer, &review.reviewer_url),
        "reviewRating": rating(review),
    });
    let fields = claim_review.as_object_mut().expect("built as an object");
    if !review.language.is_empty() {
        fields.insert("inLanguage".into(), json!(review.language));
    }
    let mut claim = Map::new();
    claim.insert("@type".into(), json!("Claim"));
    if !review.claimant.is_empty() {
        claim.insert("author".into(), json!({ "@type": "Person", "name": review.claimant }));
    }
    if review.claim_date.is_some() {
        claim.insert("datePublished".into(), json!(iso_date(review.claim_date.as_ref())));
    }
    if !review.claim_url.is_empty() {
        claim.insert("appearance".into(), json!({ "@type": "CreativeWork", "url": review.claim_url }));
    }
    fields.insert("itemReviewed".into(), Value::Object(claim));
    claim_review
}

fn organisation(name: &str, url: &str) -> Value {
    let mut author = json!({ "@type": "Organization", "name": name });
    if !url.is_empty() {
        author["url"] = json!(url);
    }
    author
}

fn rating(review: &v1::Review) -> Value {
    let mut rating = json!({ "@type": "Rating", "alternateName": review.rating });
    if let Some(numeric) = review.numeric_rating {
        rating["ratingValue"] = json!(numeric.value);
        rating["worstRating"] = json!(numeric.worst);
        rating["bestRating"] = json!(numeric.best);
    }
    rating
}

/// A day when the time is midnight UTC (how fact-checks are usually dated), else RFC 3339.
fn iso_date(time: Option<&prost_types::Timestamp>) -> String {
    let Some(time) = presentation::date(time) else { return String::new() };
    if is_midnight(time) {
        time.format("%Y-%m-%d").to_string()
    } else {
        time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

fn is_midnight(time: DateTime<Utc>) -> bool {
    time.num_seconds_from_midnight() == 0 && time.nanosecond() == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MISBAR: &str = r#"{
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://misbar.example/factcheck/2023/09/25/baku-celebrations",
        "datePublished": "2023-09-25",
        "claimReviewed": "Video shows Baku celebrating the new Karabakh offensive",
        "inLanguage": "en",
        "author": { "@type": "Organization", "name": "Misbar", "url": "https://misbar.example" },
        "reviewRating": { "@type": "Rating", "ratingValue": "2", "bestRating": 5, "worstRating": 1, "alternateName": "Misleading" },
        "itemReviewed": {
            "@type": "Claim",
            "author": { "@type": "Person", "name": "A viral account" },
            "datePublished": "2023-09-20T08:00:00",
            "appearance": [{ "@type": "CreativeWork", "url": "https://social.example/post/1" }]
        }
    }"#;

    #[test]
    fn reads_a_fact_checkers_markup_field_by_field() {
        let [review] = read(MISBAR).unwrap().try_into().unwrap();
        assert_eq!(review.claim, "Video shows Baku celebrating the new Karabakh offensive");
        assert_eq!((review.reviewer.as_str(), review.reviewer_url.as_str()), ("Misbar", "https://misbar.example"));
        assert_eq!(review.rating, "Misleading");
        assert_eq!(review.numeric_rating, Some(v1::NumericRating { value: 2.0, worst: 1.0, best: 5.0 }));
        assert_eq!(
            (review.claimant.as_str(), review.claim_url.as_str()),
            ("A viral account", "https://social.example/post/1")
        );
        assert_eq!(review.language, "en");
        assert_eq!(iso_date(review.published.as_ref()), "2023-09-25");
        assert_eq!(iso_date(review.claim_date.as_ref()), "2023-09-20T08:00:00Z");
    }

    #[test]
    fn what_it_writes_reads_back_the_same() {
        let reviews = read(MISBAR).unwrap();
        let written = serde_json::to_string(&write(&reviews[0])).unwrap();
        assert_eq!(read(&written).unwrap(), reviews);
    }

    #[test]
    fn finds_claim_reviews_in_graphs_and_arrays() {
        let page = format!(r#"{{"@context": "https://schema.org", "@graph": [{{"@type": "WebPage"}}, {MISBAR}]}}"#);
        assert_eq!(read(&page).unwrap().len(), 1);
        assert_eq!(read(&format!("[{MISBAR}, {MISBAR}]")).unwrap().len(), 2);
        assert!(read(r#"{"@type": "NewsArticle"}"#).unwrap_err().0.contains("no ClaimReview"));
    }

    #[test]
    fn a_malformed_review_is_refused_naming_the_field() {
        let without = |field: &str| {
            let mut document: Value = serde_json::from_str(MISBAR).unwrap();
            let (parent, key) = field.split_once('.').map_or((None, field), |(parent, key)| (Some(parent), key));
            match parent {
                Some(parent) => document[parent].as_object_mut().unwrap().remove(key),
                None => document.as_object_mut().unwrap().remove(key),
            };
            read(&document.to_string()).unwrap_err().0
        };
        assert_eq!(without("reviewRating.alternateName"), "reviewRating.alternateName is missing");
        assert_eq!(without("datePublished"), "datePublished is missing");
        assert_eq!(without("author"), "author.name is missing");
        assert_eq!(without("claimReviewed"), "claimReviewed is missing");
        let bad_date = MISBAR.replace("\"2023-09-25\"", "\"25/09/2023\"");
        assert!(read(&bad_date).unwrap_err().0.starts_with("datePublished is \"25/09/2023\""));
        let bad_number = MISBAR.replace("\"ratingValue\": \"2\"", "\"ratingValue\": \"two\"");
        assert!(read(&bad_number).unwrap_err().0.starts_with("reviewRating.ratingValue must be a number"));
        assert!(read("{ not json").unwrap_err().0.starts_with("not JSON-LD"));
    }

    #[test]
    fn reads_the_looser_markup_found_on_real_pages() {
        let loose = MISBAR
            .replace(r#"{ "@type": "Organization", "name": "Misbar", "url": "https://misbar.example" }"#, r#""Misbar""#)
            .replace(r#""ratingValue": "2""#, r#""ratingValue": """#)
            .replace(r#""2023-09-20T08:00:00""#, r#""2023-09-20 08:00:00.250""#)
            .replace(r#""itemReviewed": {"#, r#""itemReviewed": [{"#)
            .replace("}]\n        }\n    }", "}]\n        }]\n    }");
        let [review] = read(&loose).unwrap_or_else(|error| panic!("{error}: {loose}")).try_into().unwrap();
        assert_eq!((review.reviewer.as_str(), review.reviewer_url.as_str()), ("Misbar", ""));
        assert_eq!(review.numeric_rating, None, "an empty ratingValue is no numeric rating");
        assert_eq!(review.claimant, "A viral account", "itemReviewed as an array");
        assert_eq!(review.claim_date.unwrap().seconds, 1_695_196_800);
    }
}
