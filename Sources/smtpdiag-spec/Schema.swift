import ArgumentParser
import SMTPDiagFamilies
import SMTPDiagSpec

extension SMTPDiagSpecCommand {
    /// Prints the JSON Schema of the spec format.
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (draft-07) of the spec format, for editors and validators.")

        func run() { print(SpecSchema.json(families: Families.builtin.spec), terminator: "") }
    }
}
