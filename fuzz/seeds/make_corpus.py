#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/: requests as qmicli 1.32 and
ModemManager send them, DIAG probes, AT lines, packets. Run from fuzz/."""
import os, struct

def crc16(data):  # HDLC CRC-16/X.25, as DIAG uses it
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return (~crc) & 0xFFFF

def hdlc(payload):
    out = bytearray()
    for b in payload + struct.pack('<H', crc16(payload)):
        out += bytes([0x7D, b ^ 0x20]) if b in (0x7E, 0x7D) else bytes([b])
    return bytes(out) + b'\x7e'

def tlvs(items):
    return b''.join(struct.pack('<BH', t, len(v)) + v for t, v in items)

def qmi(service, client, txn, msg, items=(), flags=0):
    body = tlvs(items)
    if service == 0:
        sdu = struct.pack('<BBHH', flags, txn, msg, len(body)) + body
    else:
        sdu = struct.pack('<BHHH', flags, txn, msg, len(body)) + body
    return struct.pack('<BHBBB', 1, len(sdu) + 5, 0x80 if flags else 0, service, client) + sdu

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def ipv4(proto, src, dst, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0, bytes(src), bytes(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def icmp_echo(seq):
    p = struct.pack('!BBHHH', 8, 0, 0, 0x1234, seq) + b'vmodem'
    return p[:2] + struct.pack('!H', csum(p)) + p[4:]

def udp(sport, dport, data):
    return struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data

def dns_query(name):
    q = struct.pack('!HHHHHH', 0x4242, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\0' + struct.pack('!HH', 1, 1)

HOST, GW, DNS, ECHO = [10, 64, 0, 2], [10, 64, 0, 1], [10, 64, 0, 53], [192, 0, 2, 7]
V6HOST = bytes.fromhex('20010db8006400000000000000000002')
V6GW = bytes.fromhex('20010db8006400000000000000000001')

def icmpv6_echo():
    body = struct.pack('!BBHHH', 128, 0, 0, 1, 1) + b'vmodem'
    pseudo = V6HOST + V6GW + struct.pack('!IxxxB', len(body), 58)
    body = body[:2] + struct.pack('!H', csum(pseudo + body)) + body[4:]
    return struct.pack('!IHBB', 0x60000000, len(body), 58, 64) + V6HOST + V6GW + body

def eth(ethertype, payload):
    return b'\x02\x50\xf3\x00\x00\x00' + b'\x02\x00\x00\x00\x00\x01' + struct.pack('!H', ethertype) + payload

def arp_who_has(ip):
    return struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + b'\x02\x00\x00\x00\x00\x01' + bytes(HOST) + b'\0' * 6 + bytes(ip)

# Requests as qmicli/ModemManager send them (client 1 of each service).
REQUESTS = {
    'ctl_sync': qmi(0, 0, 1, 0x0027),
    'ctl_version_info': qmi(0, 0, 2, 0x0021),
    'ctl_allocate_dms': qmi(0, 0, 3, 0x0022, [(0x01, b'\x02')]),
    'ctl_allocate_wds': qmi(0, 0, 4, 0x0022, [(0x01, b'\x01')]),
    'ctl_release_dms_1': qmi(0, 0, 5, 0x0023, [(0x01, b'\x02\x01')]),
    'ctl_set_data_format_raw_ip': qmi(0, 0, 6, 0x0026, [(0x01, b'\x00'), (0x10, b'\x02\x00')]),
    'dms_get_model': qmi(2, 1, 1, 0x0022),
    'dms_get_revision': qmi(2, 1, 2, 0x0023),
    'dms_get_ids': qmi(2, 1, 3, 0x0025),
    'dms_uim_verify_pin': qmi(2, 1, 4, 0x0028, [(0x01, b'\x01\x041234')]),
    'dms_set_operating_mode_offline': qmi(2, 1, 5, 0x002e, [(0x01, b'\x01')]),
    'dms_swi_get_usb_composition': qmi(2, 1, 6, 0x555b),
    'nas_get_signal_strength': qmi(3, 1, 1, 0x0020, [(0x10, b'\xef\x00')]),
    'nas_get_serving_system': qmi(3, 1, 2, 0x0024),
    'nas_register_indications': qmi(3, 1, 3, 0x0003, [(0x10, b'\x01'), (0x13, b'\x01')]),
    'uim_get_card_status': qmi(11, 1, 1, 0x002f),
    'uim_verify_pin': qmi(11, 1, 2, 0x0026, [(0x01, b'\x00\x00'), (0x02, b'\x01\x041234')]),
    'wds_start_network_apn': qmi(1, 1, 1, 0x0020, [(0x14, b'internet'), (0x19, b'\x04')]),
    'wds_get_packet_service_status': qmi(1, 1, 2, 0x0022),
    'wds_get_current_settings': qmi(1, 1, 3, 0x002d, [(0x10, struct.pack('<I', 0x0000e300))]),
    'wds_stop_network': qmi(1, 1, 4, 0x0021, [(0x01, struct.pack('<I', 0x11223344))]),
    'wda_set_data_format': qmi(0x1a, 1, 1, 0x0020, [(0x11, struct.pack('<I', 2)), (0x12, struct.pack('<I', 0)), (0x13, struct.pack('<I', 0))]),
    'truncated_tlv': qmi(2, 1, 7, 0x002e, [(0x01, b'\x00')])[:-1],
}
# A real MC7455 reply (DMS SWI Get Current Firmware), cut to two TLVs.
REQUESTS['dms_response_mc7455'] = bytes([0x01,0x22,0x00,0x80,0x02,0x03,0x02,0x01,0x00,0x56,0x55,0x16,0x00,
    0x02,0x04,0x00,0x00,0x00,0x00,0x00,0x10,0x07,0x00]) + b'MC7455\0' + bytes([0x15,0x02,0x00]) + b'1\0'

DIAG = {'version_info': b'\x00', 'esn': b'\x01', 'ext_build_id': b'\x7c', 'unknown_3a': b'\x3a',
        'log_config': b'\x73\x00\x00\x00\x01\x00\x00\x00', 'escaped_7e': b'\x4b\x7e\x7d'}

AT_LINES = ['E0V1', '+CMEE=2;+CPIN?', '+CPIN="1234"', 'I', '+CGMI;+CGMM;+CGMR;+CGSN', '!GSTATUS?',
            '+COPS=?', '+COPS=3,2;+COPS?', '+CREG=2;+CEREG=2', '+CGDCONT=1,"IP","internet"', '+CGDCONT?',
            '+CSQ;+CESQ', '!ENTERCND="A710"', '!UDUSBCOMP?', 'S3=13;S3?', 'D*99#', '+CFUN=4', '+CLCK="SC",2',
            '+WS46=?', 'Q1V0', '&F']

USB = {
    # op 0: SETUP (8 bytes) + OUT data; 1: queue a response; 2: notification; 3: reset
    'send_then_get': b'\x00' + bytes([0x21, 0x00, 0, 0, 8, 0, 12, 0]) + REQUESTS['ctl_sync'][:12]
                     + b'\x05\x02' + b'\x00' + bytes([0xA1, 0x01, 0, 0, 8, 0, 0, 0x10]),
    'control_line_state': b'\x00' + bytes([0x21, 0x22, 3, 0, 8, 0, 0, 0]),
    'get_with_nothing': b'\x00' + bytes([0xA1, 0x01, 0, 0, 8, 0, 0, 0x10]),
    'other_interface_stalls': b'\x00' + bytes([0x21, 0x00, 0, 0, 3, 0, 1, 0]) + b'\x41',
    'short_get_stalls': b'\x09\x02\x00' + bytes([0xA1, 0x01, 0, 0, 8, 0, 4, 0]) + b'\x03',
    'truncated_setup': b'\x00' + bytes([0x21, 0x00, 0, 0]),
}

def write(target, name, data):
    d = os.path.join('corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

for name, frame in REQUESTS.items():
    write('qmux', name, frame)
    write('qmi_message', name, frame)
    body = frame[13:] if frame[4] != 0 else frame[12:]
    if body:
        write('tlv', name, body)
    write('modem_sequence', 'frame_' + name, b'\x00\x00\x00\x00' + frame)
write('qmux', 'stream_two_frames_and_noise', b'\xff\x00' + REQUESTS['ctl_sync'] + REQUESTS['dms_get_model'] + b'\x01\x20')
for name, req in DIAG.items():
    write('hdlc', name, hdlc(req))
    write('qcdm', name, hdlc(req))
write('hdlc', 'bad_crc', b'\x00\x00\x00\x7e')
write('hdlc', 'dangling_escape', b'\x00\x7d\x7e')
write('qcdm', 'two_frames_one_write', hdlc(b'\x00') + hdlc(b'\x7c'))
for i, line in enumerate(AT_LINES):
    write('at_parse', 'line%02d' % i, line.encode())
    # at_port: first byte is where the input is split in two writes.
    write('at_port', 'line%02d' % i, bytes([3]) + b'AT' + line.encode() + b'\r')
write('at_port', 'backspace_and_noise', b'\x05xxAT+CS\x08\x08CSQ\r\n')
write('at_port', 'long_line', b'\x00AT' + b'A' * 1100 + b'\rAT\r')
for name, script in USB.items():
    write('usb_control', name, script)
with open('../sim/core/profiles/em7305.toml', 'rb') as f:
    write('profile_toml', 'em7305', f.read())
write('profile_toml', 'not_a_profile', b'[identity]\nmodel = 3\n')
write('data_path', 'ping_gateway_raw_ip', b'\x01' + ipv4(1, HOST, GW, icmp_echo(1)))
write('data_path', 'ping_echo_host_raw_ip', b'\x01' + ipv4(1, HOST, ECHO, icmp_echo(2)))
write('data_path', 'udp_echo_raw_ip', b'\x01' + ipv4(17, HOST, ECHO, udp(40000, 7, b'hello')))
write('data_path', 'dns_raw_ip', b'\x01' + ipv4(17, HOST, DNS, udp(40001, 53, dns_query('www.vmodem.test'))))
write('data_path', 'ping6_gateway_raw_ip', b'\x03' + icmpv6_echo())
write('data_path', 'ping_gateway_ethernet', b'\x00' + eth(0x0800, ipv4(1, HOST, GW, icmp_echo(3))))
write('data_path', 'arp_gateway_ethernet', b'\x00' + eth(0x0806, arp_who_has(GW)))
write('modem_sequence', 'bytes_mixed', bytes(range(256)))

# ntb: a mode byte (bit 0: NTB32, bit 1: set the IN size), then one bulk OUT
# transfer as Linux cdc_mbim builds it: NTH, NDPs right after it with room
# for 40 pointers each, datagrams at multiples of 4.
def ntb(ndps, ntb32=False, seq=0):
    nth_len, hdr, ent = (16, 16, 8) if ntb32 else (12, 8, 4)
    room = hdr + 41 * ent
    out = bytearray(nth_len + room * len(ndps))
    ptrs = []
    for sig, datagrams in ndps:
        entries = []
        for d in datagrams:
            out += b'\0' * (-len(out) % 4)
            entries.append((len(out), len(d)))
            out += d
        ptrs.append((sig, entries))
    for i, (sig, entries) in enumerate(ptrs):
        at = nth_len + room * i
        nxt = at + room if i + 1 < len(ptrs) else 0
        length = hdr + ent * (len(entries) + 1)
        if ntb32:
            struct.pack_into('<4sHHII', out, at, sig, length, 0, nxt, 0)
        else:
            struct.pack_into('<4sHH', out, at, sig, length, nxt)
        for j, (idx, ln) in enumerate(entries):
            struct.pack_into('<II' if ntb32 else '<HH', out, at + hdr + ent * j, idx, ln)
    if ntb32:
        struct.pack_into('<4sHHII', out, 0, b'ncmh', 16, seq, len(out), nth_len)
    else:
        struct.pack_into('<4sHHHH', out, 0, b'NCMH', 12, seq, len(out), nth_len)
    return bytes(out)

PING = ipv4(1, HOST, ECHO, icmp_echo(1))
DNSQ = ipv4(17, HOST, DNS, udp(40001, 53, dns_query('www.vmodem.test')))
write('ntb', 'ntb16_ping', b'\x00' + ntb([(b'IPS\0', [PING])]))
write('ntb', 'ntb16_two_sessions', b'\x00' + ntb([(b'IPS\0', [PING, DNSQ]), (b'IPS\x01', [icmpv6_echo()])], seq=1))
write('ntb', 'ntb16_dss', b'\x00' + ntb([(b'DSS\0', [b'\x00\x01\x02'])]))
write('ntb', 'ntb16_zero_block_length', b'\x00' + (lambda b: b[:8] + b'\0\0' + b[10:])(ntb([(b'IPS\0', [PING])])))
write('ntb', 'ntb16_small_in_size', b'\x0e' + ntb([(b'IPS\0', [PING] * 4)]))
write('ntb', 'ntb32_dns', b'\x01' + ntb([(b'ips\0', [DNSQ])], ntb32=True))
write('ntb', 'ntb16_ndp_loop', b'\x00' + (lambda b: b[:18] + b'\x0c\x00' + b[20:])(ntb([(b'IPS\0', [PING])])))
# Bit 7 of the mode byte: a script of NCM class requests to interface 12.
def setup(rt, req, value, length, data=b''):
    return struct.pack('<BBHHH', rt, req, value, 12, length) + data
write('ntb', 'requests_cdc_ncm_init', b'\x80' + setup(0xA1, 0x80, 0, 28) + setup(0x21, 0x84, 0, 0)
      + setup(0x21, 0x86, 0, 4, struct.pack('<I', 8192)) + setup(0xA1, 0x85, 0, 4))
write('ntb', 'requests_ntb32_and_reset', b'\x80' + setup(0x21, 0x84, 1, 0) + setup(0xA1, 0x83, 0, 2)
      + setup(0x21, 0x86, 0, 8, struct.pack('<IHH', 4096, 2, 0)) + setup(0x21, 0x05, 0, 0))
# Beyond the EM7305's dwNtbOutMaxSize (4096), and one NDP more than followed.
write('ntb', 'ntb16_over_out_max', b'\x00' + ntb([(b'IPS\0', [PING, b'\x45' + b'\0' * 3999])]))
write('ntb', 'ntb16_33_ndps', b'\x00' + ntb([(b'IPS\x01', [PING])] * 33))

# DHCP messages as udhcpc sends them (UDP payloads): DISCOVER, SELECTING
# REQUEST, RENEWING REQUEST, RELEASE, INFORM, and a cut option.
def dhcp(kind, ciaddr=(0, 0, 0, 0), opts=b''):
    h = struct.pack('!BBBBIHH4s4s4s4s6s10s64s128sI', 1, 1, 6, 0, 0x5eed, 0, 0x8000,
                    bytes(ciaddr), bytes(4), bytes(4), bytes(4),
                    bytes([2, 0, 0, 0, 0, 9]), bytes(10), bytes(64), bytes(128), 0x63825363)
    return h + bytes([53, 1, kind]) + opts + bytes([55, 4, 1, 3, 6, 26, 255])
write('dhcp', 'discover', dhcp(1, opts=bytes([61, 7, 1, 2, 0, 0, 0, 0, 9])))
write('dhcp', 'request_selecting', dhcp(3, opts=bytes([50, 4] + HOST + [54, 4] + GW)))
write('dhcp', 'request_renewing', dhcp(3, HOST))
write('dhcp', 'request_init_reboot_wrong', dhcp(3, opts=bytes([50, 4, 10, 9, 9, 9])))
write('dhcp', 'release', dhcp(7, HOST))
write('dhcp', 'inform', dhcp(8, HOST))
write('dhcp', 'option_overrun', dhcp(1)[:-7] + bytes([12, 200, 65]))

# NMEA epochs: UTC seconds, a fix flag, then latitude, longitude, altitude,
# speed and course (f64): the profile's fix, none, a pole at the date line
# at full speed, and values no field can show.
def nmea(utc, fix, *values):
    return struct.pack('<qB', utc, fix) + b''.join(struct.pack('<d', v) for v in values)
write('nmea', 'profile_fix', nmea(1735689600 + 3661, 1, 49.1666, -123.1336, 10.0, 0.0, 0.0))
write('nmea', 'no_fix', nmea(1735689600, 0))
write('nmea', 'pole_dateline_fast', nmea(253402300799, 1, -90.0, 180.0, -9999.9, 5000.0, 359.99))
write('nmea', 'not_numbers', nmea(-1, 1, 1e300, float('nan'), float('inf'), -1e9, float('-inf')))
