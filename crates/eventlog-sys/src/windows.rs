//! The Win32 calls (`advapi32`), declared by hand: five functions and a few constants do not
//! justify a dependency, and keep this crate buildable by rustc 1.63 with an empty lock file.

use std::ffi::c_void;
use std::fmt;
use std::io;
use std::ptr;

use crate::message::wide_z;
use crate::source::{source_key, TYPES_SUPPORTED};
use crate::EventType;

type Handle = *mut c_void;
type Hkey = *mut c_void;

const HKEY_LOCAL_MACHINE: Hkey = 0x8000_0002_u32 as i32 as isize as Hkey;
const KEY_SET_VALUE: u32 = 0x0002;
const REG_OPTION_NON_VOLATILE: u32 = 0;
const REG_EXPAND_SZ: u32 = 2;
const REG_DWORD: u32 = 4;

#[link(name = "advapi32")]
extern "system" {
    fn RegisterEventSourceW(server: *const u16, source: *const u16) -> Handle;
    fn DeregisterEventSource(handle: Handle) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn ReportEventW(
        handle: Handle,
        event_type: u16,
        category: u16,
        event_id: u32,
        user_sid: *mut c_void,
        num_strings: u16,
        data_size: u32,
        strings: *const *const u16,
        raw_data: *const c_void,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn RegCreateKeyExW(
        key: Hkey,
        sub_key: *const u16,
        reserved: u32,
        class: *const u16,
        options: u32,
        sam_desired: u32,
        security_attributes: *const c_void,
        result: *mut Hkey,
        disposition: *mut u32,
    ) -> i32;
    fn RegSetValueExW(
        key: Hkey,
        value_name: *const u16,
        reserved: u32,
        value_type: u32,
        data: *const u8,
        data_len: u32,
    ) -> i32;
    fn RegCloseKey(key: Hkey) -> i32;
}

/// An open event source on the local computer (`RegisterEventSourceW`), closed with
/// `DeregisterEventSource` when dropped.
///
/// ```no_run
/// use tracing_handlers_eventlog_sys::{encode_message, EventSource, EventType, MAX_STRING_UNITS};
///
/// let source = EventSource::register("Portal")?;
/// let mut text = Vec::new();
/// encode_message("disk almost full", MAX_STRING_UNITS, &mut text);
/// source.report(EventType::Warning, 0, 1, &text)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct EventSource {
    handle: Handle,
    name: String,
}

// SAFETY: an event log handle may be used from any thread; `ReportEventW` on one handle from
// several threads at once is allowed (each call is a self-contained RPC).
unsafe impl Send for EventSource {}
unsafe impl Sync for EventSource {}

impl EventSource {
    /// Opens the source `name` on the local computer. Windows falls back to the
    /// `Application` log when the source is not registered.
    ///
    /// # Errors
    ///
    /// The OS error of `RegisterEventSourceW`.
    pub fn register(name: &str) -> io::Result<EventSource> {
        let wide = wide_z(name);
        // SAFETY: `wide` is NUL-terminated and outlives the call; a null server is the local
        // computer.
        let handle = unsafe { RegisterEventSourceW(ptr::null(), wide.as_ptr()) };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(EventSource {
            handle,
            name: name.to_owned(),
        })
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reports one event with `message` as its single insertion string (no user SID, no
    /// binary data), as Python's `ReportEvent(appname, id, category, type, [msg])`.
    /// `message` must be NUL-terminated, as [`encode_message`](crate::encode_message) makes it.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a message without its NUL, else the OS error of `ReportEventW`.
    pub fn report(
        &self,
        event_type: EventType,
        category: u16,
        event_id: u32,
        message: &[u16],
    ) -> io::Result<()> {
        if message.last() != Some(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the event text must end with NUL",
            ));
        }
        let strings = [message.as_ptr()];
        // SAFETY: the handle is open until drop; `strings` holds one NUL-terminated string
        // that outlives the call; no SID and no data.
        let ok = unsafe {
            ReportEventW(
                self.handle,
                event_type.number(),
                category,
                event_id,
                ptr::null_mut(),
                1,
                0,
                strings.as_ptr(),
                ptr::null(),
            )
        };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

impl Drop for EventSource {
    fn drop(&mut self) {
        // SAFETY: the handle came from RegisterEventSourceW and is closed once.
        unsafe {
            DeregisterEventSource(self.handle);
        }
    }
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("name", &self.name)
            .finish()
    }
}

/// Registers the source `appname` in log `logtype` as Python's `AddSourceToRegistry` does:
/// creates (or opens) `HKLM\SYSTEM\CurrentControlSet\Services\EventLog\<logtype>\<appname>`
/// and sets `EventMessageFile` (REG_EXPAND_SZ) to `message_file` and `TypesSupported`
/// (REG_DWORD) to 7.
///
/// Needs administrator rights; without them the error is `PermissionDenied` (Win32 error 5),
/// which Python ignores, assuming the source was registered at install time.
///
/// # Errors
///
/// The OS error of the first registry call that failed.
pub fn register_source(appname: &str, message_file: &str, logtype: &str) -> io::Result<()> {
    let key_name = wide_z(&source_key(logtype, appname));
    let mut key: Hkey = ptr::null_mut();
    let mut disposition = 0u32;
    // SAFETY: `key_name` is NUL-terminated; `key` and `disposition` are valid out pointers.
    let status = unsafe {
        RegCreateKeyExW(
            HKEY_LOCAL_MACHINE,
            key_name.as_ptr(),
            0,
            ptr::null(),
            REG_OPTION_NON_VOLATILE,
            KEY_SET_VALUE,
            ptr::null(),
            &mut key,
            &mut disposition,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status));
    }
    let file = wide_z(message_file);
    let types = TYPES_SUPPORTED.to_le_bytes();
    let result = set_value(
        key,
        "EventMessageFile",
        REG_EXPAND_SZ,
        units_as_bytes(&file),
    )
    .and_then(|()| set_value(key, "TypesSupported", REG_DWORD, &types));
    // SAFETY: `key` was opened above and is closed once.
    unsafe {
        RegCloseKey(key);
    }
    result
}

fn units_as_bytes(units: &[u16]) -> &[u8] {
    // SAFETY: u16 has no padding; the byte view covers exactly the same memory.
    unsafe { std::slice::from_raw_parts(units.as_ptr().cast::<u8>(), units.len() * 2) }
}

fn set_value(key: Hkey, name: &str, value_type: u32, data: &[u8]) -> io::Result<()> {
    let name = wide_z(name);
    let len = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "registry value too large"))?;
    // SAFETY: `key` is open with KEY_SET_VALUE; `name` is NUL-terminated; `data` is `len`
    // bytes.
    let status = unsafe { RegSetValueExW(key, name.as_ptr(), 0, value_type, data.as_ptr(), len) };
    if status == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(status))
    }
}
