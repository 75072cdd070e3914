// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The libFuzzer targets are only part of the graph when `SMTPDIAG_FUZZ=1`: they have no `main` of
/// their own (libFuzzer supplies it), so an ordinary `swift build` could not link them.
let fuzzing = ProcessInfo.processInfo.environment["SMTPDIAG_FUZZ"] == "1"

var products: [Product] = [
    .executable(name: "smtpdiag-spec", targets: ["smtpdiag-spec"]),
    .executable(name: "smtpdiag-dnsbench", targets: ["DNSBench"]),
    .executable(name: "smtpdiag-smtpbench", targets: ["SMTPBench"]),
    .executable(name: "smtpdiag-runnerbench", targets: ["RunnerBench"]),
]

var targets: [Target] = [
    .target(
        name: "SMTPDiagDNSWire",
        dependencies: [.product(name: "NIOCore", package: "swift-nio")]
    ),
    .target(
        name: "SMTPDiagSpec",
        dependencies: ["SMTPDiagDNSWire", .product(name: "Yams", package: "Yams")]
    ),
    .target(
        name: "SMTPDiagPlan",
        dependencies: ["SMTPDiagSpec", "SMTPDiagDNSWire"]
    ),
    .target(
        name: "SMTPDiagDNS",
        dependencies: [
            "SMTPDiagDNSWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .target(
        name: "SMTPDiagSMTPWire",
        dependencies: [.product(name: "NIOCore", package: "swift-nio")]
    ),
    .target(
        name: "SMTPDiagSMTP",
        dependencies: [
            "SMTPDiagSMTPWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ]
    ),
    .target(
        name: "SMTPDiagRunner",
        dependencies: [
            "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNS", "SMTPDiagDNSWire", "SMTPDiagSMTP", "SMTPDiagSMTPWire",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .target(
        name: "SMTPDiagReport",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "smtpdiag-spec",
        dependencies: [
            "SMTPDiagDNSWire",
            "SMTPDiagDNS",
            "SMTPDiagSpec",
            "SMTPDiagPlan",
            "SMTPDiagRunner",
            "SMTPDiagReport",
            "SMTPDiagSMTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "DNSBench",
        dependencies: [
            "SMTPDiagDNSWire",
            "SMTPDiagDNS",
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        path: "Benchmarks/DNSBench"
    ),
    .executableTarget(
        name: "SMTPBench",
        dependencies: ["SMTPDiagSMTP", "SMTPDiagSMTPWire"],
        path: "Benchmarks/SMTPBench"
    ),
    .executableTarget(
        name: "RunnerBench",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNS", "SMTPDiagDNSWire", "SMTPDiagSMTP",
            "SMTPDiagSMTPWire",
        ],
        path: "Benchmarks/RunnerBench"
    ),
    .testTarget(
        name: "SMTPDiagDNSWireTests",
        dependencies: [
            "SMTPDiagDNSWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "SMTPDiagSpecTests",
        dependencies: ["SMTPDiagSpec", "SMTPDiagPlan", "SMTPDiagDNSWire"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "SMTPDiagRunnerTests",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagReport", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNS", "SMTPDiagDNSWire",
            "SMTPDiagSMTPWire", "SMTPDiagSMTP", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ],
        exclude: ["Snapshots"]
    ),
    .testTarget(
        name: "SMTPDiagSMTPTests",
        dependencies: [
            "SMTPDiagSMTP",
            "SMTPDiagSMTPWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]
    ),
    .testTarget(
        name: "SMTPDiagDNSTests",
        dependencies: [
            "SMTPDiagDNS",
            "SMTPDiagDNSWire",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ]
    ),
]

if fuzzing {
    products.append(.executable(name: "DNSMessageFuzzer", targets: ["DNSMessageFuzzer"]))
    products.append(.executable(name: "SMTPReplyFuzzer", targets: ["SMTPReplyFuzzer"]))
    products.append(.executable(name: "SpecLoaderFuzzer", targets: ["SpecLoaderFuzzer"]))
    targets.append(
        .executableTarget(
            name: "SpecLoaderFuzzer",
            dependencies: ["SMTPDiagSpec", "SMTPDiagPlan"],
            path: "Fuzz/SpecLoaderFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
    targets.append(
        .executableTarget(
            name: "SMTPReplyFuzzer",
            dependencies: ["SMTPDiagSMTPWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/SMTPReplyFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
    targets.append(
        .executableTarget(
            name: "DNSMessageFuzzer",
            dependencies: ["SMTPDiagDNSWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/DNSMessageFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
}

let package = Package(
    name: "smtpdiag-spec",
    platforms: [.macOS(.v15)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
