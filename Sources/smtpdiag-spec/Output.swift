import Foundation

/// Writes to a file descriptor with `write(2)`, never through `FileHandle.write`, which traps on any error.
/// A closed pipe (`| head`) ends the writing quietly; any other error (a full disk, `> /dev/full`) is kept, so
/// the caller can say so and still write everything else it was asked for.
final class OutputSink: @unchecked Sendable {
    let fd: Int32
    let name: String
    /// Writers on several threads (the progress line, the reports) each write whole pieces.
    private let lock = NSLock()
    private var failed: Int32?

    /// The first error, as errno; once set, nothing more is written.
    var failure: Int32? { lock.withLock { failed } }

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard failed == nil else { return }
        var text = text
        text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = errno
                    return
                }
                offset += n
            }
        }
    }

    /// A closed pipe is the reader's choice, not an error of ours.
    var brokenPipe: Bool { failure == EPIPE }

    /// Why writing failed, for standard error; nil when it did not, or the reader went away.
    var problem: String? {
        guard let failure, failure != EPIPE else { return nil }
        return "cannot write \(name): \(String(cString: strerror(failure)))"
    }

    static let standardOutput = OutputSink(fd: 1, name: "standard output")
    static let standardError = OutputSink(fd: 2, name: "standard error")
}

/// A message on standard error; never traps, whatever standard error is.
func printError(_ text: String) {
    OutputSink.standardError.write(text.hasSuffix("\n") ? text : text + "\n")
}
