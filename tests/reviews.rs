//! Fact-check memory against the real server: a review attached to footage leads every later
//! lookup of a copy, over gRPC and the command line; reviews arrive as flags, as ClaimReview
//! JSON-LD and as manifests whose bad rows are reported by field; they leave and come back with
//! export and import, retractions included; a bad one is refused with a sentence.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Client, Server, date, fixture, ingest, lookup, reencode, sighting};
use firstseen::proto::v1;
use serde_json::Value;
use tonic::Code;

const ARTICLE: &str = "https://misbar.example/2023/09/25/baku-flags-2020";

/// The fact-check the seed scenario is about.
fn misbar() -> v1::Review {
    v1::Review {
        claim: "Video shows Baku celebrating the new Karabakh offensive".into(),
        claimant: "A viral account".into(),
        claim_url: "https://example.org/viral".into(),
        claim_date: Some(date("2023-09-20")),
        language: "en".into(),
        reviewer: "Misbar".into(),
        reviewer_url: "https://misbar.example".into(),
        rating: "Misleading".into(),
        url: ARTICLE.into(),
        published: Some(date("2023-09-25")),
        ..Default::default()
    }
}

/// The seed scenario: the original of 10 November 2020 and its viral re-upload, then a trimmed,
/// shrunk re-encode of it to look up, in `work`.
async fn seed(server: &Server, work: &Path) -> PathBuf {
    let mut client = server.client().await;
    let bikes = fixture("bikes.mp4");
    ingest(&mut client, &bikes, sighting("https://example.org/original", "2020-11-10", "Baku, 10 November"))
        .await
        .unwrap();
    ingest(&mut client, &bikes, sighting("https://example.org/viral", "2023-09-20", "Baku celebrates")).await.unwrap();
    reencode(&bikes, "trim=start=1:end=7,setpts=PTS-STARTPTS,scale=360:-2", &["-crf", "33"], &work.join("copy.mp4"))
}

async fn add_review(
    client: &mut Client,
    footage_id: u64,
    review: v1::Review,
) -> Result<v1::ReviewAdded, tonic::Status> {
    let request = v1::AddReviewRequest { footage_id, review: Some(review) };
    client.add_review(request).await.map(tonic::Response::into_inner)
}

fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_str(&succeeded(output)).expect("JSON on stdout")
}

#[tokio::test]
async fn a_fact_check_leads_every_later_lookup_of_a_copy_until_it_is_retracted() {
    let (work, server) = Server::in_temp_dir(&[]);
    let copy = seed(&server, work.path()).await;
    let mut client = server.client().await;

    let added = add_review(&mut client, 1, misbar()).await.unwrap();
    assert!(added.new_review);
    let footage = added.footage.unwrap();
    assert_eq!(footage.reviews.len(), 1);
    assert_eq!(footage.reviews[0].recorded_by, "admin");
    assert!(footage.reviews[0].recorded_at.is_some());
    let again = add_review(&mut client, 1, misbar()).await.unwrap();
    assert!(!again.new_review, "the same article is recorded once");
    assert_eq!(again.footage.unwrap().reviews.len(), 1);

    let report = lookup(&mut client, &copy, Some(date("2023-09-20"))).await.unwrap();
    assert_eq!(common::seconds_of(&report.earliest.as_ref().unwrap().first_seen), date("2020-11-10").seconds);
    assert_eq!(report.matches[0].reviews.len(), 1);
    assert_eq!(report.matches[0].reviews[0].claim, misbar().claim);
    let expected = format!("Already fact-checked: Misbar, 2023-09-25, rated Misleading: {ARTICLE}. ");
    assert!(report.summary.starts_with(&expected), "{}", report.summary);
    assert!(report.summary.contains("2020-11-10"), "the earliest sighting is still reported: {}", report.summary);

    let copy = copy.to_str().unwrap();
    let human = succeeded(&server.cli(&["lookup", copy]));
    assert!(human.contains("FACT-CHECKS"), "{human}");
    assert!(human.contains("Misleading") && human.contains(ARTICLE), "{human}");
    let json = json_of(&server.cli(&["lookup", copy, "--json"]));
    let fact_check = &json["fact_checks"][0];
    assert_eq!(fact_check["footage_id"], 1);
    assert_eq!(fact_check["reviewer"], "Misbar");
    assert_eq!(fact_check["rating"], "Misleading");
    assert_eq!(fact_check["published"], "2023-09-25T00:00:00Z");
    assert_eq!(fact_check["claim_date"], "2023-09-20T00:00:00Z");
    assert!(fact_check["sentence"].as_str().unwrap().starts_with("Already fact-checked: Misbar"), "{fact_check}");
    assert_eq!(json["matches"][0]["reviews"][0]["url"], ARTICLE);

    let retract = |reason: &str| v1::RetractReviewRequest { footage_id: 1, url: ARTICLE.into(), reason: reason.into() };
    let refused = client.retract_review(retract("  ")).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let footage = client.retract_review(retract("the article was corrected")).await.unwrap().into_inner();
    let retraction = footage.reviews[0].retraction.as_ref().expect("the review stays, retracted");
    assert_eq!((retraction.retracted_by.as_str(), retraction.reason.as_str()), ("admin", "the article was corrected"));
    let twice = client.retract_review(retract("again")).await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists, "{twice:?}");
    let report = lookup(&mut client, Path::new(copy), None).await.unwrap();
    assert!(report.matches[0].reviews.is_empty(), "a retracted review is not reported");
    assert!(!report.summary.contains("fact-checked"), "{}", report.summary);
}

#[tokio::test]
async fn a_bad_review_is_refused_with_a_sentence_naming_what_is_wrong() {
    let (work, server) = Server::in_temp_dir(&[]);
    seed(&server, work.path()).await;
    let mut admin = server.client().await;

    let refusals = [
        (v1::Review { rating: String::new(), ..misbar() }, "rating"),
        (v1::Review { published: None, ..misbar() }, "published"),
        (v1::Review { url: "javascript:alert(1)".into(), ..misbar() }, "url"),
        (v1::Review { reviewer_url: "file:///etc/passwd".into(), ..misbar() }, "reviewer_url"),
        (
            v1::Review { numeric_rating: Some(v1::NumericRating { value: 7.0, worst: 1.0, best: 5.0 }), ..misbar() },
            "numeric rating",
        ),
        (v1::Review { claim: "x".repeat(100_000), ..misbar() }, "claim"),
        (v1::Review { rating: "False\u{1b}[2J".into(), ..misbar() }, "rating"),
    ];
    for (review, field) in refusals {
        let refused = add_review(&mut admin, 1, review).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{field}: {refused:?}");
        assert!(refused.message().contains(field), "{field}: {}", refused.message());
    }
    let unknown = add_review(&mut admin, 99, misbar()).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let nothing = v1::RetractReviewRequest { footage_id: 1, url: ARTICLE.into(), reason: "never recorded".into() };
    assert_eq!(admin.retract_review(nothing).await.unwrap_err().code(), Code::NotFound);
    let footage = admin.get_footage(v1::GetFootageRequest { footage_id: 1 }).await.unwrap().into_inner();
    assert!(footage.reviews.is_empty(), "nothing refused was recorded");

    // Only an admin's import may say who recorded a review, when, or that it was retracted.
    let created = admin
        .create_key(v1::CreateKeyRequest { name: "desk".into(), role: v1::Role::Contributor.into() })
        .await
        .unwrap()
        .into_inner();
    let mut contributor = server.client_with(Some(&created.key)).await;
    let forged = v1::Review { recorded_by: "someone-else".into(), ..misbar() };
    let refused = add_review(&mut contributor, 1, forged).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let added = add_review(&mut contributor, 1, misbar()).await.unwrap();
    assert_eq!(added.footage.unwrap().reviews[0].recorded_by, "desk");
}

/// A fact-check page's JSON-LD: the article, with its ClaimReview in a `@graph`.
const PAGE_JSON_LD: &str = r#"{
  "@context": "https://schema.org",
  "@graph": [
    { "@type": "WebPage", "url": "https://factcheck.example/baku" },
    {
      "@type": "ClaimReview",
      "url": "https://factcheck.example/baku",
      "datePublished": "2023-09-26",
      "claimReviewed": "Crowds in Baku celebrate the September 2023 offensive",
      "author": { "@type": "Organization", "name": "Example Checks", "url": "https://factcheck.example" },
      "reviewRating": { "@type": "Rating", "ratingValue": 1, "bestRating": 5, "worstRating": 1, "alternateName": "False" },
      "itemReviewed": {
        "@type": "Claim",
        "author": { "@type": "Person", "name": "A viral account" },
        "datePublished": "2023-09-21",
        "appearance": { "@type": "CreativeWork", "url": "https://example.org/viral" }
      },
      "inLanguage": "az"
    }
  ]
}"#;

#[tokio::test]
async fn reviews_come_as_claimreview_json_ld_flags_and_manifests_and_go_out_as_json_ld() {
    let (work, server) = Server::in_temp_dir(&[]);
    let copy = seed(&server, work.path()).await;
    let jsonld = work.path().join("baku.jsonld");
    std::fs::write(&jsonld, PAGE_JSON_LD).unwrap();

    let added = server.cli(&["review", "add", "1", "--claimreview", jsonld.to_str().unwrap()]);
    succeeded(&added);
    assert!(String::from_utf8_lossy(&added.stderr).contains("1 new review on footage 1"));
    let published = succeeded(&server.cli(&["footage", "1", "--claimreview"]));
    let read_back = firstseen::claimreview::read(&published).expect("the output is ClaimReview JSON-LD");
    let given = firstseen::claimreview::read(PAGE_JSON_LD).unwrap();
    let public = |review: &v1::Review| v1::Review { recorded_by: String::new(), recorded_at: None, ..review.clone() };
    assert_eq!(read_back.iter().map(public).collect::<Vec<_>>(), given, "what goes out reads back as what came in");

    // A manifest: a row of fields, a row naming the JSON-LD, and rows that fail for a reason.
    let unknown = fixture("carphone_pristine.mp4");
    let manifest = work.path().join("reviews.csv");
    std::fs::write(
        &manifest,
        format!(
            "video,claim,rating,url,published,by,claimreview,rating_value,worst_rating,best_rating\n\
             copy.mp4,Baku celebrates the offensive,Misleading,{ARTICLE},2023-09-25,Misbar,,2,1,5\n\
             copy.mp4,,,,,,baku.jsonld,,,\n\
             copy.mp4,Baku celebrates the offensive,,https://factcheck.example/no-rating,2023-09-25,Misbar,,,,\n\
             copy.mp4,Baku celebrates the offensive,False,https://factcheck.example/bad-date,25/09/2023,Misbar,,,,\n\
             {},Baku celebrates the offensive,False,https://factcheck.example/other,2023-09-25,Misbar,,,,\n",
            unknown.display()
        ),
    )
    .unwrap();
    let imported = server.cli(&["review", "import", manifest.to_str().unwrap(), "--concurrency", "2"]);
    assert_eq!(imported.status.code(), Some(2), "failed rows fail the run: {imported:?}");
    let lines = String::from_utf8(imported.stdout.clone()).unwrap();
    let row = |n: usize| {
        let prefix = format!("row {n}: ");
        lines.lines().find(|line| line.starts_with(&prefix)).unwrap_or_else(|| panic!("row {n}: {lines}")).to_owned()
    };
    assert_eq!(row(1), "row 1: footage 1: 1 new review");
    assert_eq!(row(2), "row 2: footage 1: 0 new reviews", "the JSON-LD's review is already on record");
    assert!(row(3).contains("error") && row(3).contains("rating"), "{}", row(3));
    assert!(row(4).contains("error") && row(4).contains("published") && row(4).contains("25/09/2023"), "{}", row(4));
    assert!(row(5).contains("no indexed footage matches"), "{}", row(5));
    assert!(String::from_utf8_lossy(&imported.stderr).contains("5 rows: 2 attached"), "{imported:?}");
    let footage = json_of(&server.cli(&["footage", "1", "--json"]));
    let numeric = footage["reviews"].as_array().unwrap().iter().find(|review| review["url"] == ARTICLE).unwrap();
    assert_eq!(numeric["numeric_rating"], serde_json::json!({"value": 2.0, "worst": 1.0, "best": 5.0}), "{numeric}");

    // A bad JSON-LD is refused with the field it lacks.
    let broken = work.path().join("broken.jsonld");
    std::fs::write(&broken, PAGE_JSON_LD.replace("\"alternateName\": \"False\"", "\"name\": \"False\"")).unwrap();
    let refused = server.cli(&["review", "add", "1", "--claimreview", broken.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("reviewRating.alternateName is missing"), "{refused:?}");

    // Looked up and attached at once; refused when the video matches nothing.
    let review_flags = [
        "--attach-review",
        "--claim",
        "Baku, September 2023",
        "--rating",
        "Old footage",
        "--url",
        "https://factcheck.example/attached",
        "--published",
        "2023-09-27",
        "--by",
        "Desk",
    ];
    let mut args = vec!["lookup", copy.to_str().unwrap()];
    args.extend(review_flags);
    let attached = server.cli(&args);
    assert!(succeeded(&attached).contains("https://factcheck.example/attached"), "the report shows it");
    assert!(String::from_utf8_lossy(&attached.stderr).contains("attached 1 new review to footage 1"));
    let ignored = server.cli(&["lookup", copy.to_str().unwrap(), "--rating", "False"]);
    assert!(!ignored.status.success(), "review flags without --attach-review are refused, not ignored");
    assert!(String::from_utf8_lossy(&ignored.stderr).contains("--attach-review"), "{ignored:?}");
    let mut args = vec!["lookup", unknown.to_str().unwrap()];
    args.extend(review_flags);
    let refused = server.cli(&args);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing to attach the review to"), "{refused:?}");

    // A batch's CSV names the earliest fact-check of each file.
    let results = work.path().join("results.csv");
    succeeded(&server.cli(&[
        "lookup",
        copy.to_str().unwrap(),
        unknown.to_str().unwrap(),
        "--out",
        results.to_str().unwrap(),
    ]));
    let mut csv = csv::Reader::from_path(&results).unwrap();
    let header = csv.headers().unwrap().clone();
    let column =
        |name: &str| header.iter().position(|field| field == name).unwrap_or_else(|| panic!("{name}: {header:?}"));
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let copy_row = rows.iter().find(|row| row[column("file")].ends_with("copy.mp4")).unwrap();
    assert_eq!(&copy_row[column("rating")], "Misleading", "the earliest published first: {copy_row:?}");
    assert_eq!(&copy_row[column("review_url")], ARTICLE);
    assert_eq!(copy_row[column("fact_checks")].matches("Already fact-checked").count(), 3, "{copy_row:?}");
    let unknown_row = rows.iter().find(|row| row[column("file")].ends_with("carphone_pristine.mp4")).unwrap();
    assert_eq!(&unknown_row[column("rating")], "");
}

#[tokio::test]
async fn export_and_import_carry_reviews_with_their_provenance_and_retractions() {
    let (work, server) = Server::in_temp_dir(&[]);
    let copy = seed(&server, work.path()).await;
    let mut client = server.client().await;
    add_review(&mut client, 1, misbar()).await.unwrap();
    let withdrawn =
        v1::Review { url: "https://factcheck.example/withdrawn".into(), rating: "False".into(), ..misbar() };
    add_review(&mut client, 1, withdrawn).await.unwrap();
    let retract = v1::RetractReviewRequest {
        footage_id: 1,
        url: "https://factcheck.example/withdrawn".into(),
        reason: "wrong footage".into(),
    };
    client.retract_review(retract).await.unwrap();
    let before = client.get_footage(v1::GetFootageRequest { footage_id: 1 }).await.unwrap().into_inner();

    let exported = work.path().join("index.jsonl");
    succeeded(&server.cli(&["export", "--out", exported.to_str().unwrap()]));
    let second = Server::start(&work.path().join("second"), &[]);
    let imported = second.cli(&["import", exported.to_str().unwrap()]);
    succeeded(&imported);
    assert!(String::from_utf8_lossy(&imported.stderr).contains("2 new reviews"), "{imported:?}");

    let mut second_client = second.client().await;
    let after = second_client.get_footage(v1::GetFootageRequest { footage_id: 1 }).await.unwrap().into_inner();
    assert_eq!(after.reviews.len(), 2);
    for (was, is) in before.reviews.iter().zip(&after.reviews) {
        assert_eq!(v1::Review { imported_by: String::new(), ..is.clone() }, *was, "kept as recorded");
        assert_eq!(is.imported_by, "admin");
    }
    let report = lookup(&mut second_client, &copy, None).await.unwrap();
    let reported: Vec<&str> = report.matches[0].reviews.iter().map(|review| review.url.as_str()).collect();
    assert_eq!(reported, [ARTICLE], "the retraction came along");
    let stats = second_client.stats(v1::StatsRequest {}).await.unwrap().into_inner();
    assert_eq!(stats.reviews, 2);
}
