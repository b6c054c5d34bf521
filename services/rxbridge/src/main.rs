//! `rxbridge`: one binary for every service and offline tool.

// Printing to stdout is this binary's interface (addresses, tool output); logs go through tracing.
#![allow(clippy::print_stdout)]

mod cli;
mod ops;
mod serve;
mod settings;
mod system;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rxbridge: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rxbridge: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
