fn main() {
    std::process::exit(orbsim::cli::main());
}
