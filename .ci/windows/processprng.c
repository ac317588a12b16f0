/*
 * bcryptprimitives.dll stand-in for Wine 8, which lacks that DLL.
 *
 * Go 1.22 and later Windows binaries get their random bytes from
 * bcryptprimitives.dll!ProcessPrng and stop at startup when it is missing.
 * This DLL exports ProcessPrng and fills the buffer from advapi32's
 * SystemFunction036 (RtlGenRandom), which Wine has. `make test-windows`
 * builds it with x86_64-w64-mingw32-gcc and copies it into its Wine prefix's
 * system32 only when Wine has no bcryptprimitives.dll of its own.
 */
#include <windows.h>

/* RtlGenRandom, declared here rather than through ntsecapi.h. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with len random bytes. It always returns TRUE on
 * Windows; here it returns FALSE if RtlGenRandom fails. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		/* RtlGenRandom takes a ULONG length: go in chunks of 1 GiB. */
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

/* The entry point: the DLL is linked without a C runtime (-nostdlib), so
 * it needs nothing but kernel32 and advapi32. */
BOOL WINAPI DllMainCRTStartup(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
	(void)dll;
	(void)reason;
	(void)reserved;
	return TRUE;
}
