import NIOConcurrencyHelpers

/// Where query ids come from. Random by default (RFC 5452 §4.3); injectable so tests can force
/// collisions and predictable ids.
public protocol MessageIDGenerator: Sendable {
    func next() -> UInt16
}

public struct RandomMessageIDGenerator: MessageIDGenerator {
    /// Ids drawn from the system's generator 4,096 at a time: one `getrandom` a query was measurable.
    private let pool = NIOLockedValueBox((ids: [UInt16](), next: 0))

    public init() {}

    public func next() -> UInt16 {
        pool.withLockedValue { p in
            if p.next == p.ids.count {
                var rng = SystemRandomNumberGenerator()
                p.ids = (0..<4096).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
                p.next = 0
            }
            defer { p.next += 1 }
            return p.ids[p.next]
        }
    }
}
