import Foundation
import Testing

/// The user documents stay true: every fenced block of the README has a test that runs it (ReadmeRecipeTests),
/// every spec in the format reference lints, every key of the schema is in the reference, and every link
/// leads to a file inside the repository.
@Suite("Documents")
struct DocsTests {
    static func read(_ path: String) throws -> String {
        try String(contentsOf: E2E.repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// (heading above, language) of every fenced block of a markdown text.
    static func blocks(_ text: String) -> [(heading: String, language: String, body: String)] {
        var out: [(String, String, String)] = []
        var heading = ""
        var language: String? = nil
        var body: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let l = language {
                    out.append((heading, l, body.joined(separator: "\n") + "\n"))
                    language = nil
                    body = []
                } else {
                    language = String(line.dropFirst(3))
                }
            } else if language != nil {
                body.append(line)
            } else if line.hasPrefix("#") {
                heading = String(line)
            }
        }
        return out
    }

    @Test func everyReadmeBlockIsRunByATest() throws {
        // The blocks ReadmeRecipeTests runs, by the heading above them: a new block needs a test there first.
        let covered: [(String, String)] = [
            ("## Set-up on a fresh Debian machine", "sh"), ("## Quick start", "sh"), ("## Quick start", "yaml"),
            ("### Environment variables in specs", "sh"), ("## In GitHub Actions", "yaml"),
            ("### Gating a DNS change before it is live", "yaml"), ("### Gating a DNS change before it is live", "sh"),
            ("### Gating a DNS change before it is live", "sh"),
        ]
        let found = Self.blocks(try Self.read("README.md")).map { "\($0.heading) [\($0.language)]" }
        #expect(found == covered.map { "\($0.0) [\($0.1)]" })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: E2E.binary), "no smtpdiag-spec binary"))
    func everySpecInTheReferenceLints() throws {
        let specs = Self.blocks(try Self.read("docs/spec-format.md")).filter { $0.language == "yaml" }
        #expect(specs.count >= 2)
        let folder = E2E.repository.appendingPathComponent("docs/lint-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (i, spec) in specs.enumerated() {
            let file = folder.appendingPathComponent("spec\(i).yaml")
            try spec.body.write(to: file, atomically: true, encoding: .utf8)
            let r = try E2E.run(["lint", file.path])
            #expect(r.code == 0, "spec \(i) under \(spec.heading): \(r.stderr)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: E2E.binary), "no smtpdiag-spec binary"))
    func everySchemaKeyIsInTheReference() throws {
        let r = try E2E.run(["schema"])
        #expect(r.code == 0)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var keys = Set<String>()
        func walk(_ value: Any) {
            if let o = value as? [String: Any] {
                if let properties = o["properties"] as? [String: Any] { keys.formUnion(properties.keys) }
                for v in o.values { walk(v) }
            } else if let a = value as? [Any] {
                for v in a { walk(v) }
            }
        }
        walk(schema)
        #expect(keys.count > 40)
        let reference = try Self.read("docs/spec-format.md")
        for key in keys.sorted() {
            // In code spans: `key`, `expect.key`, `key: ...`.
            let documented = ["`\(key)`", ".\(key)`", "`\(key):"].contains { reference.contains($0) }
            #expect(documented, "`\(key)` is in the schema but not in docs/spec-format.md")
        }
    }

    @Test func linksStayInsideTheRepository() throws {
        let root = E2E.repository.standardizedFileURL.path
        for document in ["README.md", "BENCHMARKS.md", "docs/spec-format.md"] {
            let text = try Self.read(document)
            let base = E2E.repository.appendingPathComponent(document).deletingLastPathComponent()
            let links = text.matches(of: /\]\(([^)\s]+)\)/).map { String($0.output.1) }
            for link in links where !link.hasPrefix("http") && !link.hasPrefix("#") {
                let path = String(link.split(separator: "#", maxSplits: 1)[0])
                let target = base.appendingPathComponent(path).standardizedFileURL.path
                #expect(target.hasPrefix(root + "/"), "\(document) links outside the repository: \(link)")
                #expect(FileManager.default.fileExists(atPath: target), "\(document) links to a missing \(link)")
            }
        }
    }
}
