import ArgumentParser
import Foundation
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// Prints the compiled check plan.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the checks the specs compile to, with their ids and spec locations. No network.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case human, json
        }

        @OptionGroup var input: SpecInput

        @Option(help: "Output format: human or json.")
        var format: Format = .human

        func run() throws {
            let (_, plan) = try input.compile()
            SpecInput.noteSystemResolvers(plan)
            switch format {
            case .human:
                for check in plan.checks {
                    var line = "\(check.id)  \(check.location)"
                    if !check.dependencies.isEmpty {
                        line += "  after " + check.dependencies.map(\.rawValue).joined(separator: ", ")
                    }
                    print(terminalSafe(line))
                }
                print("\(plan.checks.count) check(s)")
            case .json:
                let list: [[String: Any]] = plan.checks.map { c in
                    [
                        "id": c.id.rawValue, "what": PlanDescription.describe(c.kind), "domain": c.domain.description,
                        "file": c.location.file, "line": c.location.line, "column": c.location.column,
                        "dependencies": c.dependencies.map(\.rawValue), "tags": c.tags,
                    ]
                }
                let doc: [String: Any] = ["version": 1, "checks": list]
                let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
            finish(plan)
        }
    }
}
