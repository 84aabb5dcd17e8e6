//! The `byzlab` binary: the library's command line with the built-in
//! strategies and adversaries. A crate of your own can register more and
//! call the same function (see `examples/my_lab.rs`).

fn main() -> std::process::ExitCode {
    byzlab::cli::main_with(byzlab::registry::Registry::builtin())
}
