//! Refresh of many instances in one region: `read_many` (one `DescribeInstances` per 200
//! instances) against one `read` per instance, counting HTTP requests and wall time.
//! Run by `benches/aws_refresh.sh`, which starts moto:
//!
//! `cargo run -p aic-provider-aws --example refresh-bench -- ENDPOINT [INSTANCES] [ROUNDS]`

use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_lang::value::Value;
use aic_provider::Provider;
use aic_provider_aws::{AwsProvider, Timing};
use aws_sdk_ec2::types::InstanceType;

const REGION: &str = "us-east-1";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .ok_or("usage: refresh-bench ENDPOINT [INSTANCES] [ROUNDS]")?;
    let count: usize = args.next().map_or(Ok(500), |n| n.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |n| n.parse())?;

    let calls = Arc::new(AtomicU64::new(0));
    let config = Value::object([
        ("region", Value::string(REGION)),
        ("endpoint", Value::string(&endpoint)),
        ("access_key", Value::string("testing")),
        ("secret_key", Value::string("testing")),
    ]);
    let aws = AwsProvider::new()
        .with_timing(Timing::fast())
        .with_call_counter(calls.clone())
        .configure(&config)
        .await?;

    // The instances, launched in batches straight through the SDK.
    let sdk = aws_sdk_ec2::Client::new(
        &aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "bench",
            ))
            .endpoint_url(&endpoint)
            .load()
            .await,
    );
    let mut priors = Vec::with_capacity(count);
    while priors.len() < count {
        let batch = (count - priors.len()).min(100) as i32;
        let out = sdk
            .run_instances()
            .image_id("ami-03cf127a")
            .instance_type(InstanceType::T3Micro)
            .min_count(batch)
            .max_count(batch)
            .send()
            .await?;
        priors.extend(
            out.instances()
                .iter()
                .filter_map(|i| i.instance_id())
                .map(|id| Value::object([("id", Value::string(id))])),
        );
    }

    println!(
        "Refresh of {count} instances in one region against moto, {rounds} rounds (median):\n"
    );
    println!("| refresh | API calls | wall time |");
    println!("| --- | ---: | ---: |");
    let bulk = measure(rounds, &calls, || async {
        let results = aws.read_many("aws_instance", &priors).await;
        check(&results, count)
    })
    .await?;
    println!(
        "| `read_many` (bulk `DescribeInstances`) | {} | {} |",
        bulk.0,
        ms(bulk.1)
    );
    let one_by_one = measure(rounds, &calls, || async {
        let mut results = Vec::with_capacity(priors.len());
        for prior in &priors {
            results.push(aws.read("aws_instance", prior).await);
        }
        check(&results, count)
    })
    .await?;
    println!(
        "| one `read` per instance | {} | {} |",
        one_by_one.0,
        ms(one_by_one.1)
    );
    println!(
        "\nbulk is {:.0}x faster with {}x fewer calls",
        one_by_one.1.as_secs_f64() / bulk.1.as_secs_f64(),
        one_by_one.0 / bulk.0.max(1)
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn check(
    results: &[Result<Option<Value>, aic_provider::ProviderError>],
    count: usize,
) -> Result<(), Box<dyn Error>> {
    let found = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    if found != count {
        return Err(format!("found {found} of {count} instances").into());
    }
    Ok(())
}

/// Calls per round and the median wall time.
async fn measure<F, Fut>(
    rounds: usize,
    calls: &AtomicU64,
    mut refresh: F,
) -> Result<(u64, Duration), Box<dyn Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn Error>>>,
{
    let mut times = Vec::with_capacity(rounds);
    let mut per_round = 0;
    for _ in 0..rounds.max(1) {
        calls.store(0, Ordering::Relaxed);
        let start = Instant::now();
        refresh().await?;
        times.push(start.elapsed());
        per_round = calls.load(Ordering::Relaxed);
    }
    times.sort();
    Ok((per_round, times[times.len() / 2]))
}
