import ArgumentParser
import SMTPDiagPlan
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// Validates specs without touching the network.
    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate spec files; exit 0 when they are valid, 2 when not. No network.")

        @OptionGroup var input: SpecInput

        func run() throws {
            let (files, plan) = try input.compile()
            SpecInput.noteSystemResolvers(plan)
            // Zone files a spec names are read too: a mistake in one is a mistake in the spec's input.
            let zones = try loadZoneFiles(files)
            print(
                "ok: \(files.count) file(s), \(files.reduce(0) { $0 + $1.domains.count }) domain(s), \(plan.checks.count) check(s)"
                    + (zones.map { ", \($0.zones.count) zone(s) from zone files" } ?? "")
            )
            finish(files, plan)
        }
    }
}
