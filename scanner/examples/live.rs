//! A developer's tool: scan with the live readers and print the inventory
//! snapshot (JSON) on standard output.
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
//!   cargo run -p palisade-scanner --example live -- \
//!   --endpoint-url http://127.0.0.1:5000 --region us-east-1 [--type ec2] [--policy-type aws_kms_key]
//! ```
//!
//! `--type` is a Tagging API type filter (`--resource-type` of `palisade
//! scan`), `--policy-type` a loaded policy's type pattern (repeatable;
//! without one, every type's details are read). The `palisade` binary is
//! the user's interface; this one builds with the scanner alone, with any
//! subset of its reader features.

use palisade_scanner::aws::{AwsScanOptions, scan_blocking};

fn main() -> std::process::ExitCode {
    let mut options =
        AwsScanOptions { max_attempts: 3, initial_backoff: std::time::Duration::from_millis(50), ..Default::default() };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            eprintln!("{flag} needs a value");
            return std::process::ExitCode::from(2);
        };
        match flag.as_str() {
            "--endpoint-url" => options.endpoint_url = Some(value),
            "--region" => options.regions.push(value),
            "--type" => options.filters.resource_types.push(value),
            "--policy-type" => options.policy_types.get_or_insert_with(Vec::new).push(value),
            other => {
                eprintln!("unknown option {other}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    match scan_blocking(&options).map(|inventory| inventory.to_snapshot_bytes()) {
        Ok(Ok(bytes)) => {
            print!("{}", String::from_utf8_lossy(&bytes));
            std::process::ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}
