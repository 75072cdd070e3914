import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where query ids come from. Random by default (RFC 5452 §4.3); injectable so tests can force
/// collisions and predictable ids.
public protocol MessageIDGenerator: Sendable {
    func next() -> UInt16
}

public struct RandomMessageIDGenerator: MessageIDGenerator {
    /// Ids drawn from the system's generator 4,096 at a time, in one call (`arc4random_buf`: the kernel's
    /// generator, one `getrandom` for the lot). `SystemRandomNumberGenerator` makes a system call for every
    /// eight octets: drawing ids from it was one `getrandom` a query (counted with strace).
    private let pool = NIOLockedValueBox((ids: [UInt16](repeating: 0, count: 4096), next: 4096))

    public init() {}

    public func next() -> UInt16 {
        pool.withLockedValue { p in
            if p.next == p.ids.count {
                p.ids.withUnsafeMutableBytes { raw in
                    if let base = raw.baseAddress { arc4random_buf(base, raw.count) }
                }
                p.next = 0
            }
            defer { p.next += 1 }
            return p.ids[p.next]
        }
    }
}
