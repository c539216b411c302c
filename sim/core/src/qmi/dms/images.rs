//! Firmware images: the stored MODEM and PRI images and the preference for
//! the next boot, all derived from the profile's firmware identity.
//!
//! The unit holds one MODEM image and one PRI (carrier configuration), the
//! ones running. Image naming follows Sierra's: the MODEM image has the
//! wildcard unique ID `?_?` and build ID `<version>_?`; the PRI has the
//! config version as unique ID and `<version>_<carrier>` as build ID.

use super::*;
use crate::model::profile::Identity;
use crate::qmi::{Failure, Tlvs};
use crate::wire::tlv::{Reader, Writer};

const TYPE_MODEM: u8 = 0;
const TYPE_PRI: u8 = 1;
/// Image slots per type, as `AT!IMAGE?` reports them on Sierra units.
const MAX_MODEM_IMAGES: u8 = 4;
const MAX_PRI_IMAGES: u8 = 50;
/// "Not reported" for storage index and failure count.
const UNKNOWN: u8 = 0xFF;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Image {
    ty: u8,
    unique_id: [u8; 16],
    build_id: String,
}

/// A unique ID: ASCII, NUL-padded to 16 bytes.
fn unique_id(s: &str) -> [u8; 16] {
    let mut u = [0u8; 16];
    let b = s.as_bytes();
    let n = b.len().min(16);
    u[..n].copy_from_slice(&b[..n]);
    u
}

/// The running images: one MODEM, one PRI.
fn stored(id: &Identity) -> [Image; 2] {
    // "SWI9X15C_05.05.58.00" → "05.05.58.00"
    let version = id.boot_version.rsplit('_').next().unwrap_or("");
    [
        Image {
            ty: TYPE_MODEM,
            unique_id: unique_id("?_?"),
            build_id: format!("{version}_?"),
        },
        Image {
            ty: TYPE_PRI,
            unique_id: unique_id(&id.config_version),
            build_id: format!("{version}_{}", id.carrier),
        },
    ]
}

impl Image {
    fn write(&self, w: &mut Writer) {
        w.u8(self.ty).bytes(&self.unique_id).str_u8(&self.build_id);
    }
    /// Whether a host's image reference names this stored image. Hosts
    /// append to the build ID (ModemManager sends
    /// `<pri build id>_<pri unique id>` for both images), and a stored
    /// build ID ending in `?` is a wildcard, so a prefix match suffices.
    fn matches(&self, want: &Image) -> bool {
        self.ty == want.ty
            && self.unique_id == want.unique_id
            && want
                .build_id
                .starts_with(self.build_id.trim_end_matches('?'))
    }
}

fn read_image(r: &mut Reader<'_>) -> crate::wire::Result<Image> {
    let ty = r.u8("image type")?;
    let mut unique_id = [0u8; 16];
    unique_id.copy_from_slice(r.take(16, "unique id")?);
    let build_id = String::from_utf8_lossy(r.str_u8("build id")?).into_owned();
    Ok(Image {
        ty,
        unique_id,
        build_id,
    })
}

pub(super) fn list_stored_images(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let images = stored(&ctx.dev.profile.identity);
    let mut r = Tlvs::new();
    r.with(0x01, |w| {
        w.u8(images.len() as u8);
        for (img, max) in images.iter().zip([MAX_MODEM_IMAGES, MAX_PRI_IMAGES]) {
            // index of the running image, then one image
            w.u8(img.ty).u8(max).u8(0).u8(1);
            w.u8(UNKNOWN).u8(UNKNOWN);
            w.bytes(&img.unique_id).str_u8(&img.build_id);
        }
    });
    Ok(r)
}

/// Images are never downloaded here, so the preference always names
/// the running ones.
pub(super) fn get_firmware_preference(_req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let images = stored(&ctx.dev.profile.identity);
    let mut r = Tlvs::new();
    r.with(0x01, |w| {
        w.u8(images.len() as u8);
        for img in &images {
            img.write(w);
        }
    });
    Ok(r)
}

pub(super) fn set_firmware_preference(req: &Req<'_>, ctx: &mut Ctx<'_>) -> Reply {
    let images = stored(&ctx.dev.profile.identity);
    let mut r = Tlvs::new();
    let wanted = req.parse_need(0x01, |r| {
        let n = r.u8("image count")?;
        (0..n).map(|_| read_image(r)).collect::<Result<Vec<_>, _>>()
    })?;
    req.u8(0x10)?; // download override
    req.u8(0x11)?; // modem storage index
    if wanted
        .iter()
        .any(|w| w.ty != TYPE_MODEM && w.ty != TYPE_PRI)
    {
        return Err(Failure::new(ProtocolError::InvalidArgument));
    }
    // Images not stored would have to be downloaded after the reset.
    let download: Vec<u8> = wanted
        .iter()
        .filter(|w| !images.iter().any(|s| s.matches(w)))
        .map(|w| w.ty)
        .collect();
    r.with(0x01, |w| {
        w.u8(download.len() as u8).bytes(&download);
    });
    Ok(r)
}
