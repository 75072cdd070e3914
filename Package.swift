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
    // libyaml through its public C API, from Debian's libyaml-dev.
    .systemLibrary(
        name: "CLibYAML",
        pkgConfig: "yaml-0.1",
        providers: [.apt(["libyaml-dev"])]
    ),
    .target(
        name: "SMTPDiagSpec",
        dependencies: ["SMTPDiagDNSWire", "CLibYAML"]
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
    // What mail-authentication records mean (RFC 7208 SPF, RFC 7489 DMARC, RFC 6376 tag-lists): parsing and
    // evaluation, with DNS through a resolver it is handed (no I/O of its own).
    .target(
        name: "SMTPDiagMailAuth",
        dependencies: ["SMTPDiagDNSWire", .product(name: "SwiftASN1", package: "swift-asn1")]
    ),
    // Master files read and answered in process as an authoritative server answers (no I/O but reading files).
    .target(name: "SMTPDiagZone", dependencies: ["SMTPDiagDNSWire"]),
    // The families of checks, one a file, and their registry (`Families.builtin`).
    .target(
        name: "SMTPDiagFamilies",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNSWire", "SMTPDiagDNS", "SMTPDiagMailAuth",
        ]
    ),
    .target(
        name: "SMTPDiagReport",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec",
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
            "SMTPDiagFamilies",
            "SMTPDiagMailAuth",
            "SMTPDiagZone",
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
            "SMTPDiagSMTPWire", "SMTPDiagFamilies", "SMTPDiagTestSupport",
        ],
        path: "Benchmarks/RunnerBench"
    ),
    // What tests and benchmarks share: the checkout and the lab found one way, snapshots, probes in memory.
    .target(
        name: "SMTPDiagTestSupport",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagDNS", "SMTPDiagDNSWire", "SMTPDiagSMTP", "SMTPDiagSMTPWire", "SMTPDiagFamilies",
            "SMTPDiagSpec", "SMTPDiagPlan",
        ],
        path: "Tests/SMTPDiagTestSupport"
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
        dependencies: ["SMTPDiagSpec", "SMTPDiagPlan", "SMTPDiagDNSWire", "SMTPDiagFamilies", "SMTPDiagTestSupport"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "SMTPDiagPlanTests",
        dependencies: ["SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNSWire", "SMTPDiagFamilies", "SMTPDiagTestSupport"],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "SMTPDiagRunnerTests",
        dependencies: [
            "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNS", "SMTPDiagDNSWire", "SMTPDiagSMTPWire",
            "SMTPDiagSMTP", "SMTPDiagFamilies", "SMTPDiagTestSupport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .testTarget(
        name: "SMTPDiagReportTests",
        dependencies: [
            "SMTPDiagReport", "SMTPDiagRunner", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNSWire", "SMTPDiagSMTPWire",
            "SMTPDiagTestSupport",
        ]
    ),
    .testTarget(
        name: "SMTPDiagZoneTests",
        dependencies: ["SMTPDiagZone", "SMTPDiagDNSWire", "SMTPDiagDNS", "SMTPDiagTestSupport"]
    ),
    .testTarget(
        name: "SMTPDiagMailAuthTests",
        dependencies: ["SMTPDiagMailAuth", "SMTPDiagDNSWire"]
    ),
    .testTarget(
        name: "SMTPDiagFamiliesTests",
        dependencies: [
            "SMTPDiagFamilies", "SMTPDiagRunner", "SMTPDiagReport", "SMTPDiagPlan", "SMTPDiagSpec", "SMTPDiagDNS",
            "SMTPDiagDNSWire", "SMTPDiagSMTP", "SMTPDiagSMTPWire", "SMTPDiagMailAuth", "SMTPDiagTestSupport",
        ]
    ),
    // The command line, end to end: the real binary against the lab, its documents' recipes.
    .testTarget(
        name: "SMTPDiagCLITests",
        dependencies: ["SMTPDiagTestSupport"],
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
            "SMTPDiagTestSupport",
        ]
    ),
    .testTarget(
        name: "SMTPDiagDNSTests",
        dependencies: [
            "SMTPDiagDNS",
            "SMTPDiagDNSWire",
            "SMTPDiagTestSupport",
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
    products.append(.executable(name: "MailAuthFuzzer", targets: ["MailAuthFuzzer"]))
    products.append(.executable(name: "ZoneFileFuzzer", targets: ["ZoneFileFuzzer"]))
    targets.append(
        .executableTarget(
            name: "ZoneFileFuzzer",
            dependencies: ["SMTPDiagZone", "SMTPDiagDNSWire"],
            path: "Fuzz/ZoneFileFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
    targets.append(
        .executableTarget(
            name: "MailAuthFuzzer",
            dependencies: ["SMTPDiagMailAuth", "SMTPDiagDNSWire"],
            path: "Fuzz/MailAuthFuzzer",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    )
    targets.append(
        .executableTarget(
            name: "SpecLoaderFuzzer",
            dependencies: ["SMTPDiagSpec", "SMTPDiagPlan", "SMTPDiagFamilies"],
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
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
