// The claims held now: which process on which host computes which stage (or owns which run), and when
// its lease runs out unless renewed. On a shared store this is the work in progress of every worker.
import Foundation
import Store

struct ClaimsPage {
    let site: WebSite

    func page() throws -> String {
        let claims = try site.store.lineage.liveClaims()
        // A stage claim's key is the stage's cache key: the running stage runs tell which stage it is.
        var running: [String: StageRunRecord] = [:]
        for run in try site.store.lineage.runs() where run.status == .running {
            for record in try site.store.lineage.stageRuns(ofRun: run.id!) where record.status == .running {
                running[record.key] = record
            }
        }
        let now = Date()
        let rows = claims.map { claim -> [String] in
            let what: String
            if claim.key.hasPrefix("run:"), let id = Int64(claim.key.dropFirst(4)) {
                what = HTML.link("/runs/\(id)", "run \(id)")
            } else if let record = running[claim.key] {
                what = WebSite.stageRunLink(record) + " (run \(record.runID))"
            } else {
                what = "stage key <code>\(HTML.escape(DisplayFormat.short(claim.key)))</code>"
            }
            let left = claim.holder.expires.timeIntervalSince(now)
            return [what, HTML.escape(claim.holder.host), "\(claim.holder.pid)", HTML.escape(DisplayFormat.date(claim.holder.claimed)),
                    HTML.escape(DisplayFormat.date(claim.holder.expires)) + (left > 0 ? HTML.escape(" (in \(DisplayFormat.seconds(left)))") : "")]
        }
        let body = "<p class=\"muted\">Claims held now (refreshed when the page reloads). A holder renews its lease while it works; "
            + "one that stops renewing loses the claim at expiry, and another process may take the stage.</p>"
            + (rows.isEmpty ? "<p>No claim is held: nothing is computing on this store now.</p>"
                : HTML.table(["Claimed", "Host", "Process", "Since", "Lease expires"], rows, id: "claims"))
        return HTML.page(title: "Claims", store: site.storeName, body: body)
    }
}
