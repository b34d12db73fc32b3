fn main() -> std::process::ExitCode {
    firstseen::cli::main()
}
