//! qmicli DMS actions against vmodem.

#[allow(unused_imports)]
use crate::harness::*;

#[test]
fn identity_matches_the_profile() {
    let m = Vmodem::start("dms-ids", &[]);
    let ids = m.ok(&["--dms-get-ids"]);
    assert_field(&ids, "IMEI", "'359225050024702'");
    assert_field(
        &m.ok(&["--dms-get-manufacturer"]),
        "Manufacturer",
        "Sierra Wireless, Incorporated",
    );
    assert_field(&m.ok(&["--dms-get-model"]), "Model", "'EM7305'");
    assert_field(
        &m.ok(&["--dms-get-revision"]),
        "Revision",
        "SWI9X15C_05.05.58.00",
    );
}
