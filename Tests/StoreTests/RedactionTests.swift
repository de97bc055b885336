// Secrets in addresses never reach a message: a URL's password, secret-looking parameters, and the
// token libpq quotes when it cannot decode a connection string.
import Foundation
import XCTest
@testable import Store

final class RedactionTests: XCTestCase {
    func testPasswordsAndSecretParametersAreReplaced() {
        XCTAssertEqual(Redaction.text("postgresq://tlab:hunter2@db:5432/tlab"), "postgresq://tlab:***@db:5432/tlab")
        XCTAssertEqual(Redaction.text("s3://AKIA:wJal/rXU@bucket/p"), "s3://AKIA:***@bucket/p")
        XCTAssertEqual(Redaction.text("https://h/x?token=abc&page=2"), "https://h/x?token=***&page=2")
        XCTAssertEqual(Redaction.text("host=db password='a b' user=tlab"), "host=db password=*** user=tlab")
        XCTAssertEqual(Redaction.text("postgresql://tlab@db/tlab?host=/run&port=5432"), "postgresql://tlab@db/tlab?host=/run&port=5432",
                       "an address without secrets is shown whole")
    }

    func testAQuotedSecretAloneIsReplacedToo() {
        XCTAssertEqual(Redaction.message(#"invalid percent-encoded token: "s3cret%zz""#, about: "postgresql://u:s3cret%zz@h/d"),
                       #"invalid percent-encoded token: "***""#)
    }

    func testAConnectionStringThatDoesNotParseIsReportedWithoutItsPassword() throws {
        XCTAssertThrowsError(try LineageDatabase(postgres: "postgresql://tlab:s3cret%zz@127.0.0.1/tlab")) { error in
            guard case .invalidConnectionString? = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertFalse("\(error)".contains("s3cret"), "\(error)")
            XCTAssertTrue("\(error)".contains("percent"), "libpq's reason is kept: \(error)")
        }
    }
}
