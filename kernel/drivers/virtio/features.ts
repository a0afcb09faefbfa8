// Feature bits (virtio 1.x, sections 6 and 5.2.3) and their names for `lsdev`.
//
// Bits 0..23 belong to the device type, 24..40 to the transport and ring. A feature is in
// use only when the driver accepted it and the device took FEATURES_OK.

export const VIRTIO_RING_F_INDIRECT_DESC: u32 = 28;
export const VIRTIO_RING_F_EVENT_IDX: u32 = 29;
export const VIRTIO_F_VERSION_1: u32 = 32;
export const VIRTIO_F_ACCESS_PLATFORM: u32 = 33;
export const VIRTIO_F_RING_PACKED: u32 = 34;
export const VIRTIO_F_IN_ORDER: u32 = 35;

export const VIRTIO_BLK_F_SIZE_MAX: u32 = 1;
export const VIRTIO_BLK_F_SEG_MAX: u32 = 2;
export const VIRTIO_BLK_F_GEOMETRY: u32 = 4;
export const VIRTIO_BLK_F_RO: u32 = 5;
export const VIRTIO_BLK_F_BLK_SIZE: u32 = 6;
export const VIRTIO_BLK_F_FLUSH: u32 = 9;
export const VIRTIO_BLK_F_TOPOLOGY: u32 = 10;
export const VIRTIO_BLK_F_CONFIG_WCE: u32 = 11;
export const VIRTIO_BLK_F_MQ: u32 = 12;
export const VIRTIO_BLK_F_DISCARD: u32 = 13;
export const VIRTIO_BLK_F_WRITE_ZEROES: u32 = 14;

// @ts-ignore: decorator
@inline export function bit(n: u32): u64 {
  return (<u64>1) << n;
}

// @ts-ignore: decorator
@inline export function hasFeature(features: u64, n: u32): bool {
  return (features & bit(n)) != 0;
}

function commonFeatureName(n: u32): string {
  switch (n) {
    case 24: return "NOTIFY_ON_EMPTY";
    case 27: return "ANY_LAYOUT";
    case VIRTIO_RING_F_INDIRECT_DESC: return "INDIRECT_DESC";
    case VIRTIO_RING_F_EVENT_IDX: return "EVENT_IDX";
    case VIRTIO_F_VERSION_1: return "VERSION_1";
    case VIRTIO_F_ACCESS_PLATFORM: return "ACCESS_PLATFORM";
    case VIRTIO_F_RING_PACKED: return "RING_PACKED";
    case VIRTIO_F_IN_ORDER: return "IN_ORDER";
    case 36: return "ORDER_PLATFORM";
    case 37: return "SR_IOV";
    case 38: return "NOTIFICATION_DATA";
    case 39: return "NOTIF_CONFIG_DATA";
    case 40: return "RING_RESET";
    default: return "";
  }
}

function blockFeatureName(n: u32): string {
  switch (n) {
    case 0: return "BARRIER";
    case VIRTIO_BLK_F_SIZE_MAX: return "SIZE_MAX";
    case VIRTIO_BLK_F_SEG_MAX: return "SEG_MAX";
    case VIRTIO_BLK_F_GEOMETRY: return "GEOMETRY";
    case VIRTIO_BLK_F_RO: return "RO";
    case VIRTIO_BLK_F_BLK_SIZE: return "BLK_SIZE";
    case 7: return "SCSI";
    case VIRTIO_BLK_F_FLUSH: return "FLUSH";
    case VIRTIO_BLK_F_TOPOLOGY: return "TOPOLOGY";
    case VIRTIO_BLK_F_CONFIG_WCE: return "CONFIG_WCE";
    case VIRTIO_BLK_F_MQ: return "MQ";
    case VIRTIO_BLK_F_DISCARD: return "DISCARD";
    case VIRTIO_BLK_F_WRITE_ZEROES: return "WRITE_ZEROES";
    case 15: return "LIFETIME";
    case 16: return "SECURE_ERASE";
    default: return "";
  }
}

/** Space-separated names of the set bits; unknown bits as "bitN". */
export function featureNames(features: u64, deviceId: u32): string {
  let out = "";
  for (let n: u32 = 0; n < 64; n++) {
    if (!hasFeature(features, n)) continue;
    let name = n < 24 ? (deviceId == 2 ? blockFeatureName(n) : "") : commonFeatureName(n);
    if (name.length == 0) name = "bit" + n.toString();
    out += out.length == 0 ? name : " " + name;
  }
  return out.length == 0 ? "-" : out;
}
