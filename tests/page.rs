//! The verification page in a real headless Chromium, driven over WebDriver against the real
//! server: a journalist checks the seed clip, reads the verdict, sees the timeline and the
//! evidence pictures; a batch of three files gives three rows; a non-video gets a sentence; an
//! Arabic title reads right to left. And the JSON API under it, over plain HTTP.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, fixture, reencode};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const ARABIC_TITLE: &str = "احتفالات في باكو، ١٠ نوفمبر ٢٠٢٠";

/// The seed scenario: the original, with an Arabic title, then its viral re-upload.
fn seed(server: &Server) {
    let bikes = fixture("bikes.mp4");
    for (day, url, title) in [
        ("2020-11-10", "https://example.org/original", ARABIC_TITLE),
        ("2023-09-20", "https://example.org/viral", "Baku celebrates the new offensive"),
    ] {
        let args = ["ingest", bikes.to_str().unwrap(), "--first-seen", day, "--source-url", url, "--title", title];
        let output = server.cli(&args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
}

/// A fact-check of the seed footage, as its article's page would publish it.
const FACT_CHECK: &str = r#"{"@context": "https://schema.org", "@type": "ClaimReview",
    "url": "https://misbar.example/baku", "datePublished": "2023-09-25",
    "claimReviewed": "Video shows Baku celebrating the new Karabakh offensive",
    "author": {"@type": "Organization", "name": "Misbar"},
    "reviewRating": {"@type": "Rating", "alternateName": "Misleading"}}"#;

/// `chromedriver` on a free port; killed when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run chromedriver: is chromium-driver installed? (`make deps`)");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { process, url }
    }

    async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2000"] }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Runs `script` in the page until it returns something truthy, for at most `seconds`.
async fn wait_for(browser: &Client, script: &str, seconds: u64) -> Value {
    let started = Instant::now();
    loop {
        let value = browser.execute(script, vec![]).await.expect("run a script in the page");
        if !(value.is_null() || value == json!(false) || value == json!(0) || value == json!("")) {
            return value;
        }
        if started.elapsed() > Duration::from_secs(seconds) {
            let body = browser.execute("return document.body.innerText", vec![]).await.unwrap_or_default();
            panic!("waited {seconds} s for `{script}`; the page says:\n{}", body.as_str().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the page, gives it the key once, and waits for the check form.
async fn open_with_key(browser: &Client, server: &Server) {
    browser.goto(&server.url).await.unwrap();
    browser.wait().for_element(Locator::Id("api-key")).await.expect("the page asks for a key");
    browser.find(Locator::Id("api-key")).await.unwrap().send_keys(&server.admin_key()).await.unwrap();
    browser.find(Locator::Id("save-key")).await.unwrap().click().await.unwrap();
    wait_for(browser, "const v = document.getElementById('video'); return v && v.offsetParent !== null", 20).await;
}

/// Back on the check form, `video` chosen and checked.
async fn check_again(browser: &Client, server: &Server, video: &Path) {
    browser.goto(&format!("{}/#/", server.url)).await.unwrap();
    wait_for(browser, "const v = document.getElementById('video'); return v && v.offsetParent !== null", 20).await;
    choose(browser, "video", &[video]).await;
    browser.find(Locator::Id("check")).await.unwrap().click().await.unwrap();
}

async fn choose(browser: &Client, input: &str, files: &[&Path]) {
    let paths: Vec<String> = files.iter().map(|path| path.display().to_string()).collect();
    browser.find(Locator::Id(input)).await.unwrap().send_keys(&paths.join("\n")).await.unwrap();
}

fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("page.png")
}

#[tokio::test]
async fn a_journalist_checks_the_seed_clip_and_sees_the_verdict_timeline_and_evidence() {
    let (work, server) = Server::in_temp_dir(&[]);
    seed(&server);
    let viral = reencode(
        &fixture("bikes.mp4"),
        "trim=start=2:end=8,setpts=PTS-STARTPTS,scale=320:-2",
        &["-crf", "36"],
        &work.path().join("viral.mp4"),
    );
    let driver = Driver::start();
    let browser = driver.browser().await;
    open_with_key(&browser, &server).await;

    choose(&browser, "video", &[&viral]).await;
    browser
        .execute("const d = document.getElementById('claimed-date'); d.value = '2023-09-20'; d.dispatchEvent(new Event('input'));", vec![])
        .await
        .unwrap();
    browser.find(Locator::Id("check")).await.unwrap().click().await.unwrap();
    let verdict = wait_for(&browser, "const v = document.getElementById('verdict'); return v && v.innerText", 90).await;
    let verdict = verdict.as_str().unwrap();
    assert!(verdict.contains("Earliest known appearance: 2020-11-10"), "{verdict}");
    assert!(verdict.contains("predates the claim"), "{verdict}");

    let sightings = wait_for(&browser, "return document.querySelectorAll('#timeline .sighting').length", 10).await;
    assert_eq!(sightings, json!(2), "both sightings on the timeline");
    let earliest =
        browser.execute("return document.querySelectorAll('#timeline .earliest').length", vec![]).await.unwrap();
    assert_eq!(earliest, json!(1), "the earliest is marked");
    let claimed =
        browser.execute("return document.querySelectorAll('#timeline .claimed').length", vec![]).await.unwrap();
    assert!(claimed.as_u64().unwrap() >= 1, "the claimed date is marked");

    // Evidence: the video's frames and the footage's, side by side, loaded.
    let loaded = "const imgs = [...document.querySelectorAll('img.evidence-query, img.evidence-reference')]; \
        return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 0) && imgs.length";
    let pictures = wait_for(&browser, loaded, 20).await;
    assert!(pictures.as_u64().unwrap() >= 2, "{pictures}");
    let references =
        browser.execute("return document.querySelectorAll('img.evidence-reference').length", vec![]).await.unwrap();
    assert!(references.as_u64().unwrap() >= 1, "the footage's stored pictures are shown");

    // The Arabic title reads right to left.
    let direction = browser
        .execute(
            "const el = [...document.querySelectorAll('*')].find(e => e.children.length === 0 && e.textContent.includes(arguments[0])); \
             return el ? getComputedStyle(el).direction : null",
            vec![json!("باكو")],
        )
        .await
        .unwrap();
    assert_eq!(direction, json!("rtl"), "an Arabic title is laid out right to left");

    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_path(), png).unwrap();

    // A copy cropped off-centre is found through the survey, and its match says so.
    let cropped = reencode(
        &fixture("bikes.mp4"),
        "crop=iw*3/4:ih*4/5:iw/4:0,scale=640:-2",
        &["-crf", "30"],
        &work.path().join("cropped.mp4"),
    );
    check_again(&browser, &server, &cropped).await;
    let told = wait_for(
        &browser,
        "const items = [...document.querySelectorAll('li')].map(e => e.innerText); \
         return items.includes('cropped off-centre') && items.join(' | ')",
        90,
    )
    .await;
    assert!(told.as_str().unwrap().contains("first seen"), "{told}");
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshot_path().with_file_name("page-cropped.png"), png).unwrap();

    // A file that is not a video gets a sentence, not a crash.
    let notes = work.path().join("notes.txt");
    std::fs::write(&notes, "Baku, 10 November 2020: crowds waving flags.\n".repeat(40)).unwrap();
    check_again(&browser, &server, &notes).await;
    let error = wait_for(
        &browser,
        "const e = [...document.querySelectorAll('[role=alert]')].map(e => e.innerText).join(' '); return e.includes('not a video') && e",
        60,
    )
    .await;
    assert!(error.as_str().unwrap().contains("not a video"), "{error}");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_journalist_records_a_fact_check_and_the_next_check_leads_with_it() {
    let (work, server) = Server::in_temp_dir(&[]);
    seed(&server);
    let viral = reencode(&fixture("bikes.mp4"), "scale=320:-2", &["-crf", "34"], &work.path().join("viral.mp4"));
    let driver = Driver::start();
    let browser = driver.browser().await;
    open_with_key(&browser, &server).await;

    browser.goto(&format!("{}/#/footage/1", server.url)).await.unwrap();
    wait_for(&browser, "const s = document.getElementById('review-section'); return s && !s.hidden", 20).await;
    // A missing field is named before anything is sent.
    browser.find(Locator::Id("review-submit")).await.unwrap().click().await.unwrap();
    let problem = wait_for(&browser, "return document.getElementById('review-error').innerText", 5).await;
    assert!(problem.as_str().unwrap().contains("fact-checking organisation"), "{problem}");
    for (field, value) in [
        ("review-by", "Misbar"),
        ("review-url", "https://misbar.example/baku"),
        ("review-rating", "Misleading"),
        ("review-claim", "Video shows Baku celebrating the new Karabakh offensive"),
    ] {
        browser.find(Locator::Id(field)).await.unwrap().send_keys(value).await.unwrap();
    }
    browser.execute("document.getElementById('review-published').value = '2023-09-25'", vec![]).await.unwrap();
    browser.find(Locator::Id("review-submit")).await.unwrap().click().await.unwrap();
    let listed =
        wait_for(&browser, "const l = document.getElementById('footage-reviews'); return l && l.innerText", 20).await;
    let listed = listed.as_str().unwrap();
    assert!(listed.contains("Misleading") && listed.contains("25 September 2023"), "{listed}");
    let status = browser.execute("return document.getElementById('review-status').innerText", vec![]).await.unwrap();
    assert_eq!(status, json!("Recorded 1 fact-check."));
    let png = browser.screenshot().await.unwrap();
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("page-footage.png"), png).unwrap();

    check_again(&browser, &server, &viral).await;
    let verdict = wait_for(&browser, "const v = document.getElementById('verdict'); return v && v.innerText", 90).await;
    assert!(verdict.as_str().unwrap().starts_with("Already fact-checked: Misbar, 2023-09-25"), "{verdict}");
    let block =
        wait_for(&browser, "const b = document.querySelector('.fact-checks'); return b && b.innerText", 10).await;
    let block = block.as_str().unwrap();
    assert!(block.contains("Already fact-checked") && block.contains("Misleading"), "{block}");
    assert!(block.contains("https://misbar.example/baku"), "the article is linked: {block}");
    let png = browser.screenshot().await.unwrap();
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("page-fact-check.png"), png).unwrap();

    // A reader's key sees the fact-check but not the form.
    let created = server.cli(&["keys", "create", "--role", "reader", "--name", "reader"]);
    let reader = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    browser.execute("localStorage.setItem('firstseen.apiKey', arguments[0])", vec![json!(reader)]).await.unwrap();
    browser.goto(&format!("{}/#/footage/1", server.url)).await.unwrap();
    browser.refresh().await.unwrap();
    wait_for(&browser, "return document.getElementById('key-status').innerText.includes('(reader)')", 20).await;
    wait_for(
        &browser,
        "const l = document.getElementById('footage-reviews'); return l && l.innerText.includes('Misleading')",
        20,
    )
    .await;
    let hidden = browser.execute("return document.getElementById('review-section').hidden", vec![]).await.unwrap();
    assert_eq!(hidden, json!(true), "a reader is not offered the form");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_batch_of_three_files_gives_three_rows_with_the_error_on_its_row() {
    let (work, server) = Server::in_temp_dir(&[]);
    seed(&server);
    let copy = reencode(&fixture("bikes.mp4"), "scale=240:-2", &["-crf", "34"], &work.path().join("copy.mp4"));
    let other = fixture("carphone_pristine.mp4");
    let broken = work.path().join("broken.mp4");
    std::fs::write(&broken, b"\x00\x00\x00\x18ftypmp42 this is not a video").unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    open_with_key(&browser, &server).await;
    browser.goto(&format!("{}/#/batch", server.url)).await.unwrap();
    browser.wait().for_element(Locator::Id("batch-files")).await.unwrap();
    choose(&browser, "batch-files", &[&copy, &other, &broken]).await;
    browser.execute("document.getElementById('batch-claimed-date').value = '2023-09-20'", vec![]).await.unwrap();
    browser.find(Locator::Id("batch-start")).await.unwrap().click().await.unwrap();
    let done = "const rows = [...document.querySelectorAll('#batch-results tbody tr.row')]; \
        return rows.length === 3 && rows.every(r => /predates_claim|consistent_with_claim|no_known_footage|no_claim|error/.test(r.innerText)) \
        && rows.map(r => r.innerText)";
    let rows = wait_for(&browser, done, 120).await;
    let rows: Vec<&str> = rows.as_array().unwrap().iter().map(|row| row.as_str().unwrap()).collect();
    let row = |name: &str| *rows.iter().find(|row| row.contains(name)).unwrap_or_else(|| panic!("{name}: {rows:?}"));
    assert!(row("copy.mp4").contains("2020-11-10") && row("copy.mp4").contains("predates_claim"), "{rows:?}");
    assert!(row("carphone_pristine.mp4").contains("no_known_footage"), "{rows:?}");
    assert!(row("broken.mp4").contains("error") && row("broken.mp4").contains("not a video"), "{rows:?}");
    browser.close().await.unwrap();
}

/// A request to the JSON API over real HTTP, with a multipart form.
fn http(server: &Server, method: &str, path: &str, key: Option<&str>, form: &[(&str, &str)]) -> (u16, Value) {
    let fields: Vec<String> =
        form.iter().flat_map(|(name, value)| ["-F".to_owned(), format!("{name}={value}")]).collect();
    curl(server, method, path, key, &fields)
}

/// A POST to the JSON API over real HTTP, with `body` as JSON.
fn post_json(server: &Server, path: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let args = ["-H", "Content-Type: application/ld+json", "--data-binary", body].map(String::from);
    curl(server, "POST", path, key, &args)
}

fn curl(server: &Server, method: &str, path: &str, key: Option<&str>, args: &[String]) -> (u16, Value) {
    let mut command = Command::new("curl");
    command.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method]);
    if let Some(key) = key {
        command.args(["-H", &format!("Authorization: Bearer {key}")]);
    }
    let output = command.args(args).arg(format!("{}{path}", server.url)).output().expect("run curl");
    let text = String::from_utf8(output.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())))
}

#[tokio::test]
async fn the_json_api_answers_like_lookup_json_with_the_same_keys_and_clear_errors() {
    let (work, server) = Server::in_temp_dir(&[]);
    seed(&server);
    let key = server.admin_key();
    let bikes = format!("@{}", fixture("bikes.mp4").display());

    let (code, report) =
        http(&server, "POST", "/api/v1/lookup", Some(&key), &[("video", &bikes), ("claimed_date", "2023-09-20")]);
    assert_eq!(code, 200, "{report}");
    assert_eq!(report["verdict"], "predates_claim");
    assert_eq!(report["earliest"]["first_seen"], "2020-11-10T00:00:00Z");
    assert_eq!(report["earliest"]["title"], ARABIC_TITLE);
    assert_eq!(report["matches"][0]["sightings"][0]["recorded_by"], "admin");
    let evidence = report["matches"][0]["evidence"].as_array().unwrap();
    assert!(
        !evidence.is_empty() && evidence[0]["query_image"].as_str().unwrap().starts_with("data:image/jpeg;base64,")
    );
    let frame = evidence[0]["reference_image"].as_str().unwrap();
    let picture = Command::new("curl")
        .args(["-s", "-H", &format!("Authorization: Bearer {key}"), &format!("{}{frame}", server.url)])
        .output()
        .unwrap()
        .stdout;
    assert!(picture.starts_with(&[0xFF, 0xD8]), "a stored thumbnail is a JPEG");

    let (code, footage) = http(&server, "GET", "/api/v1/footage/1", Some(&key), &[]);
    assert_eq!((code, footage["sightings"].as_array().unwrap().len()), (200, 2));
    let (code, stats) = http(&server, "GET", "/api/v1/stats", Some(&key), &[]);
    assert_eq!((code, stats["footage"].as_u64()), (200, Some(1)));

    // Errors are 4xx with a sentence.
    let (code, refused) = http(&server, "GET", "/api/v1/stats", None, &[]);
    assert_eq!(code, 401, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("needs an API key"), "{refused}");
    let notes = work.path().join("notes.txt");
    std::fs::write(&notes, "not a video at all").unwrap();
    let (code, refused) =
        http(&server, "POST", "/api/v1/lookup", Some(&key), &[("video", &format!("@{}", notes.display()))]);
    assert_eq!(code, 400, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("not a video"), "{refused}");
    let (code, refused) = http(&server, "POST", "/api/v1/lookup", Some(&key), &[("claimed_date", "2023-09-20")]);
    assert_eq!(code, 400, "{refused}");
    let (code, _) = http(&server, "GET", "/api/v1/footage/999", Some(&key), &[]);
    assert_eq!(code, 404);

    // A reader may look up but not add footage or fact-checks.
    let created = server.cli(&["keys", "create", "--role", "reader", "--name", "desk"]);
    let reader = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let (code, refused) = post_json(&server, "/api/v1/footage/1/reviews", Some(&reader), FACT_CHECK);
    assert_eq!(code, 403, "{refused}");

    // Fact-checks go in as ClaimReview JSON-LD, once per article, and lead the next lookup.
    let (code, added) = post_json(&server, "/api/v1/footage/1/reviews", Some(&key), FACT_CHECK);
    assert_eq!((code, added["new_reviews"].as_u64()), (200, Some(1)), "{added}");
    assert_eq!(added["footage"]["reviews"][0]["rating"], "Misleading");
    let (_, again) = post_json(&server, "/api/v1/footage/1/reviews", Some(&key), FACT_CHECK);
    assert_eq!(again["new_reviews"].as_u64(), Some(0), "{again}");
    let (_, report) = http(&server, "POST", "/api/v1/lookup", Some(&key), &[("video", &bikes)]);
    assert_eq!(report["fact_checks"][0]["reviewer"], "Misbar", "{report}");
    assert!(report["summary"].as_str().unwrap().starts_with("Already fact-checked: Misbar, 2023-09-25"), "{report}");
    let unrated = FACT_CHECK.replace("alternateName", "name");
    let (code, refused) = post_json(&server, "/api/v1/footage/1/reviews", Some(&key), &unrated);
    assert_eq!(code, 400, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("reviewRating.alternateName is missing"), "{refused}");
    let scripted = FACT_CHECK.replace("https://misbar.example/baku", "javascript:alert(1)");
    let (code, refused) = post_json(&server, "/api/v1/footage/1/reviews", Some(&key), &scripted);
    assert_eq!(code, 400, "{refused}");
    let (code, refused) = post_json(&server, "/api/v1/footage/1/reviews", Some(&key), "not json");
    assert_eq!(code, 400, "{refused}");
    let (code, _) = post_json(&server, "/api/v1/footage/999/reviews", Some(&key), FACT_CHECK);
    assert_eq!(code, 404);
    let form = [("video", bikes.as_str()), ("first_seen", "2001-01-01"), ("source_url", "https://attacker.example/x")];
    let (code, refused) = http(&server, "POST", "/api/v1/ingest", Some(&reader), &form);
    assert_eq!(code, 403, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("contributor"), "{refused}");
    let third = [("video", bikes.as_str()), ("first_seen", "2024-01-01"), ("source_url", "https://example.org/third")];
    let (code, added) = http(&server, "POST", "/api/v1/ingest", Some(&key), &third);
    assert_eq!(code, 200, "{added}");
    assert_eq!((added["new_footage"].as_bool(), added["new_sighting"].as_bool()), (Some(false), Some(true)));

    // Health and metrics, for load balancers and Prometheus.
    let health = Command::new("curl").args(["-s", &format!("{}/healthz", server.url)]).output().unwrap().stdout;
    assert_eq!(health, b"ok\n");
    let metrics = Command::new("curl").args(["-s", &format!("{}/metrics", server.url)]).output().unwrap().stdout;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.contains("firstseen_requests_total{route=\"/api/v1/lookup\",status=\"200\"}"), "{metrics}");
    assert!(metrics.contains("firstseen_requests_total{route=\"IngestFingerprint\",status=\"Ok\"}"), "{metrics}");
    assert!(
        metrics.contains("firstseen_lookup_seconds_bucket") && metrics.contains("firstseen_index_footage 1"),
        "{metrics}"
    );
}
