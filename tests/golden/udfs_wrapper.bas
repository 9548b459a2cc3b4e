Function ECORE_BUSINESS_UNITS(Optional legal_entity, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_BUSINESS_UNITS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_BUSINESS_UNITS", Array(legal_entity, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_BUSINESS_UNITS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_BUSINESS_UNITS", Array(legal_entity, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_BUSINESS_UNITS = Err.Description
End Function

Function ECORE_CLICKS(Optional contract, Optional portfolio, Optional from_date, Optional to_date, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_CLICKS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_CLICKS", Array(contract, portfolio, from_date, to_date, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_CLICKS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_CLICKS", Array(contract, portfolio, from_date, to_date, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_CLICKS = Err.Description
End Function

Function ECORE_CONTRACTS(Optional commodity, Optional status, Optional legal_entity, Optional active_on, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_CONTRACTS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_CONTRACTS", Array(commodity, status, legal_entity, active_on, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_CONTRACTS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_CONTRACTS", Array(commodity, status, legal_entity, active_on, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_CONTRACTS = Err.Description
End Function

Function ECORE_GET(path, ParamArray params())
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    Dim argsArray() As Variant
    argsArray = Array(path)
    ReDim Preserve argsArray(0 to UBound(params) - LBound(params) + 1)
    For k = LBound(params) To UBound(params)
    argsArray(1 + k - LBound(params)) = params(k)
    Next k
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_GET = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_GET", argsArray, ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_GET = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_GET", argsArray)
        Exit Function
    #End If
failed:
    ECORE_GET = Err.Description
End Function

Function ECORE_HEDGE_RATIO(Optional portfolio, Optional period)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_HEDGE_RATIO = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_HEDGE_RATIO", Array(portfolio, period), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_HEDGE_RATIO = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_HEDGE_RATIO", Array(portfolio, period))
        Exit Function
    #End If
failed:
    ECORE_HEDGE_RATIO = Err.Description
End Function

Function ECORE_INVOICES(Optional from_date, Optional to_date, Optional meter, Optional legal_entity, Optional supplier, Optional status, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_INVOICES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_INVOICES", Array(from_date, to_date, meter, legal_entity, supplier, status, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_INVOICES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_INVOICES", Array(from_date, to_date, meter, legal_entity, supplier, status, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_INVOICES = Err.Description
End Function

Function ECORE_INVOICE_LINES(Optional from_date, Optional to_date, Optional meter, Optional legal_entity, Optional supplier, Optional status, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_INVOICE_LINES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_INVOICE_LINES", Array(from_date, to_date, meter, legal_entity, supplier, status, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_INVOICE_LINES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_INVOICE_LINES", Array(from_date, to_date, meter, legal_entity, supplier, status, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_INVOICE_LINES = Err.Description
End Function

Function ECORE_LEGAL_ENTITIES(Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_LEGAL_ENTITIES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_LEGAL_ENTITIES", Array(option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_LEGAL_ENTITIES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_LEGAL_ENTITIES", Array(option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_LEGAL_ENTITIES = Err.Description
End Function

Function ECORE_METERS(Optional business_unit, Optional commodity, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_METERS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_METERS", Array(business_unit, commodity, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_METERS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_METERS", Array(business_unit, commodity, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_METERS = Err.Description
End Function

Function ECORE_OPEN_POSITION(Optional portfolio, Optional period)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_OPEN_POSITION = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_OPEN_POSITION", Array(portfolio, period), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_OPEN_POSITION = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_OPEN_POSITION", Array(portfolio, period))
        Exit Function
    #End If
failed:
    ECORE_OPEN_POSITION = Err.Description
End Function

Function ECORE_PORTFOLIOS(Optional commodity, Optional legal_entity, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_PORTFOLIOS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_PORTFOLIOS", Array(commodity, legal_entity, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_PORTFOLIOS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_PORTFOLIOS", Array(commodity, legal_entity, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_PORTFOLIOS = Err.Description
End Function

Function ECORE_POSITIONS(Optional portfolio, Optional granularity, Optional from_date, Optional to_date, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_POSITIONS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_POSITIONS", Array(portfolio, granularity, from_date, to_date, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_POSITIONS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_POSITIONS", Array(portfolio, granularity, from_date, to_date, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_POSITIONS = Err.Description
End Function

Function ECORE_RELATIONSHIPS(Optional entity_type, Optional entity, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_RELATIONSHIPS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_RELATIONSHIPS", Array(entity_type, entity, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_RELATIONSHIPS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_RELATIONSHIPS", Array(entity_type, entity, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_RELATIONSHIPS = Err.Description
End Function

Function ECORE_STATUS()
    Application.Volatile
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_STATUS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_STATUS", Array(), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_STATUS = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_STATUS", Array())
        Exit Function
    #End If
failed:
    ECORE_STATUS = Err.Description
End Function

Function ECORE_VOLUMES(Optional meter, Optional from_date, Optional to_date, Optional granularity, Optional layout, Optional option1, Optional option2, Optional option3, Optional option4)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_VOLUMES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_VOLUMES", Array(meter, from_date, to_date, granularity, layout, option1, option2, option3, option4), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_VOLUMES = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_VOLUMES", Array(meter, from_date, to_date, granularity, layout, option1, option2, option3, option4))
        Exit Function
    #End If
failed:
    ECORE_VOLUMES = Err.Description
End Function

Function ECORE_VOLUME_TOTAL(Optional meter_or_contract, Optional from_date, Optional to_date, Optional option1, Optional option2)
    If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ECORE_VOLUME_TOTAL = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_VOLUME_TOTAL", Array(meter_or_contract, from_date, to_date, option1, option2), ThisWorkbook, Application.Caller)
        Exit Function
    #Else
        ECORE_VOLUME_TOTAL = XLPy.CallUDF("ecore_xl.excel.udfs", "ECORE_VOLUME_TOTAL", Array(meter_or_contract, from_date, to_date, option1, option2))
        Exit Function
    #End If
failed:
    ECORE_VOLUME_TOTAL = Err.Description
End Function

