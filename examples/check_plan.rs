//! Check a plan with the built-in pack through the engine library.
//!
//! Run: `cargo run --example check_plan -- examples/plans/web-stack.tfplan.json`
//!
//! The shape of every embedding: build an engine, load packs once, parse
//! inputs into stacks, check, and read the findings.

use palisade_engine::input::read_input;
use palisade_engine::{EngineBuilder, PolicySettings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "examples/plans/web-stack.tfplan.json".into());
    let engine = EngineBuilder::new().build()?;
    let pack = engine.load_pack(palisade::AWS_BASELINE.path, palisade::AWS_BASELINE.wasm)?;
    let stack = read_input(&path, &std::fs::read(&path)?, None)?;
    let findings = engine.check(&[pack], &[stack], &PolicySettings::default());
    for v in &findings.violations {
        println!("[{}] {} on {}: {}", v.enforcement_level, v.policy, v.resource, v.message);
    }
    println!("{} resources evaluated; fails the check: {}", findings.resources_evaluated, findings.blocks());
    Ok(())
}
