Attribute VB_Name = "eCoreRibbon"
' The eCore ribbon's callbacks (customUI.xml names each one).
' Each Sub hands one line of Python to xlwings' RunPython, which starts Python with the
' interpreter and settings of the add-in's config sheet; ecore_xl.excel.refresh does the work,
' shows errors in a message box and logs the detail. Keep the Python calls here one-liners.
Option Explicit

Private Const PY As String = "import ecore_xl.excel.refresh as r; "
Private eCoreRibbonUI As IRibbonUI

Public Sub OnRibbonLoad(ribbon As IRibbonUI)
    Set eCoreRibbonUI = ribbon
End Sub

Public Sub OnRefreshAll(control As IRibbonControl)
    RunPython PY & "r.refresh_all()"
End Sub

Public Sub OnRefreshSheet(control As IRibbonControl)
    RunPython PY & "r.refresh_sheet()"
End Sub

Public Sub OnRefreshContracts(control As IRibbonControl)
    RunPython PY & "r.refresh_dataset('contracts')"
End Sub

Public Sub OnRefreshClicks(control As IRibbonControl)
    RunPython PY & "r.refresh_dataset('clicks')"
End Sub

Public Sub OnRefreshVolumes(control As IRibbonControl)
    RunPython PY & "r.refresh_dataset('volumes')"
End Sub

Public Sub OnRefreshInvoices(control As IRibbonControl)
    RunPython PY & "r.refresh_dataset('invoices')"
End Sub

Public Sub OnSettings(control As IRibbonControl)
    RunPython PY & "r.show_settings()"
End Sub

Public Sub OnCheckConnection(control As IRibbonControl)
    RunPython PY & "r.check_connection()"
End Sub

Public Sub OnOfflineToggle(control As IRibbonControl, pressed As Boolean)
    If pressed Then
        RunPython PY & "r.set_offline(True)"
    Else
        RunPython PY & "r.set_offline(False)"
    End If
    If Not eCoreRibbonUI Is Nothing Then eCoreRibbonUI.InvalidateControl "eCoreOffline"
End Sub

Public Sub GetOfflinePressed(control As IRibbonControl, ByRef returnedVal)
    ' The workbook's own setting (named cell ecore.offline); no Python needed to draw the button.
    returnedVal = False
    On Error Resume Next
    returnedVal = CBool(ActiveWorkbook.Names("ecore.offline").RefersToRange.Value)
    On Error GoTo 0
End Sub

Public Sub OnSnapshot(control As IRibbonControl)
    RunPython PY & "r.snapshot()"
End Sub

Public Sub OnMonthlyReport(control As IRibbonControl)
    RunPython PY & "r.monthly_report()"
End Sub
