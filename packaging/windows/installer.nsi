; The Windows installer of QR Cashier, built on Linux with Debian's makensis (scripts/bundle-windows.sh):
;   makensis -DVERSION=0.1.0 -DAPPDIR=<folder with qr-cashier.exe and WebView2Loader.dll> \
;            -DICON=<icon.ico> -DOUTFILE=<setup.exe> packaging/windows/installer.nsi
; A per-user install (no administrator): the program goes to %LOCALAPPDATA%\Programs\QR Cashier,
; with Start-menu and desktop shortcuts and an entry in Apps & features. The store's data (the
; journal, the settings, the logs, in %LOCALAPPDATA%\com.qrcashier.desktop) and the access token
; (Windows Credential Manager) are never touched: an upgrade installs over the old version and
; keeps them, and uninstalling leaves them.
; Exit codes: 0 installed, 1 cancelled, 2 aborted, 3 WebView2 missing, 4 QR Cashier still running.

; A 64-bit installer for a 64-bit app (and Wine without its 32-bit half runs it).
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user

!ifndef VERSION | APPDIR | ICON | OUTFILE
  !error "define VERSION, APPDIR, ICON and OUTFILE (see the top of this file)"
!endif

!define NAME "QR Cashier"
!define IDENTIFIER "com.qrcashier.desktop"
!define EXE "qr-cashier.exe"
!define PUBLISHER "QR Cashier"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${IDENTIFIER}"
; The Evergreen WebView2 runtime's client id (Microsoft's documented detection keys).
!define WEBVIEW2_CLIENT "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_PAGE "https://developer.microsoft.com/microsoft-edge/webview2/"

Name "${NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
; An upgrade goes where the last version went.
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${NAME} ${VERSION}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
; The language asked at the start is remembered for the upgrade and the uninstaller.
!define MUI_LANGDLL_REGISTRY_ROOT HKCU
!define MUI_LANGDLL_REGISTRY_KEY "Software\${IDENTIFIER}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "InstallerLanguage"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; Spanish first: where the system's language is none of the three, the installer speaks it.
!insertmacro MUI_LANGUAGE "Spanish"
!insertmacro MUI_LANGUAGE "PortugueseBR"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

LangString WebView2Missing ${LANG_SPANISH} "${NAME} necesita Microsoft Edge WebView2 Runtime, que esta PC no tiene.$\r$\n$\r$\nWindows 10 y 11 lo traen; si fue quitado, descargalo gratis de:$\r$\n${WEBVIEW2_PAGE}$\r$\n$\r$\n¿Abrir esa página ahora? (Después volvé a ejecutar este instalador.)"
LangString WebView2Missing ${LANG_PORTUGUESEBR} "O ${NAME} precisa do Microsoft Edge WebView2 Runtime, que este computador não tem.$\r$\n$\r$\nO Windows 10 e o 11 já o trazem; se foi removido, baixe-o grátis em:$\r$\n${WEBVIEW2_PAGE}$\r$\n$\r$\nAbrir essa página agora? (Depois execute este instalador de novo.)"
LangString WebView2Missing ${LANG_ENGLISH} "${NAME} needs the Microsoft Edge WebView2 Runtime, which this PC does not have.$\r$\n$\r$\nWindows 10 and 11 ship it; if it was removed, download it for free from:$\r$\n${WEBVIEW2_PAGE}$\r$\n$\r$\nOpen that page now? (Then run this installer again.)"
LangString AppRunning ${LANG_SPANISH} "${NAME} está abierto. Cerralo (las ventas quedan guardadas) y tocá Reintentar."
LangString AppRunning ${LANG_PORTUGUESEBR} "O ${NAME} está aberto. Feche-o (as vendas ficam guardadas) e clique em Repetir."
LangString AppRunning ${LANG_ENGLISH} "${NAME} is open. Close it (the sales stay saved) and press Retry."
LangString DataKept ${LANG_SPANISH} "Las ventas, la configuración y el token de Mercado Pago quedan en esta PC."
LangString DataKept ${LANG_PORTUGUESEBR} "As vendas, as configurações e o token do Mercado Pago ficam neste computador."
LangString DataKept ${LANG_ENGLISH} "The sales, the settings and the Mercado Pago token stay on this PC."

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "${PUBLISHER}"

; $0: the runtime's version, or empty when WebView2 is missing (Microsoft's keys: per machine in
; both registry views, per user).
Function FindWebView2
  SetRegView 64
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_CLIENT}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  SetRegView lastused
  ${If} $0 == "0.0.0.0"
    StrCpy $0 ""
  ${EndIf}
FunctionEnd

; Waits until the installed program is closed: its file cannot be opened for writing while it
; runs. Silent installs give up with exit code 4.
!macro WaitUntilClosed
  closed_check:
  ClearErrors
  IfFileExists "$INSTDIR\${EXE}" 0 closed
  FileOpen $1 "$INSTDIR\${EXE}" a
  IfErrors running
  FileClose $1
  Goto closed
  running:
  MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(AppRunning)" /SD IDCANCEL IDRETRY closed_check
  SetErrorLevel 4
  Quit
  closed:
!macroend

Function .onInit
  !insertmacro MUI_LANGDLL_DISPLAY
  Call FindWebView2
  ${If} $0 == ""
    MessageBox MB_YESNO|MB_ICONSTOP "$(WebView2Missing)" /SD IDNO IDNO no_page
    ExecShell "open" "${WEBVIEW2_PAGE}"
    no_page:
    SetErrorLevel 3
    Quit
  ${EndIf}
FunctionEnd

Section "${NAME}" Main
  SectionIn RO
  !insertmacro WaitUntilClosed
  SetOutPath "$INSTDIR"
  File "${APPDIR}\${EXE}"
  File "${APPDIR}\WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  CreateShortcut "$DESKTOP\${NAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Function un.onInit
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd

Section "Uninstall"
  !insertmacro WaitUntilClosed
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  Delete "$DESKTOP\${NAME}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${IDENTIFIER}"
  ; The store's data and the keyring entry are not the program's: they stay.
  DetailPrint "$(DataKept)"
SectionEnd
