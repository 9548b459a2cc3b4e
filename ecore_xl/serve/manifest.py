"""The add-in's XML manifest (the add-in only manifest: what Microsoft 365 central deployment
takes for an add-in with custom functions), for one backend URL.

A task pane add-in for Excel (``Workbook``) with a **shared runtime** (``taskpane.html`` runs
the task pane and the custom functions in one page, so they share the token and the offline
toggle; requirement set SharedRuntime 1.1), the custom functions in the ``ECORE`` namespace
(metadata ``functions.json`` and script served by the backend), and an *eCore* button on the
Home tab that opens the pane. The id is derived from the URL, so one backend always gives the
same add-in and a team server's differs from a local one.
"""

from __future__ import annotations

import uuid
from xml.sax.saxutils import quoteattr

import ecore_xl
from ecore_xl.serve.functions_json import NAMESPACE

__all__ = ["addin_id", "manifest_xml"]

ICON_SIZES = (16, 32, 64, 80)
_DESCRIPTION = "E&amp;C eCore API (ePoint data) in Excel: =ECORE.* functions and refreshed tables."
_GET_STARTED = (
    "Type =ECORE. in a cell for the functions, or open the eCore pane on the Home tab to browse "
    "datasets and refresh tables."
)
_TOOLTIP = "Browse eCore datasets, insert formulas and tables, refresh, check the connection."
_OVERRIDES = (
    'xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" '
    'xsi:type="VersionOverridesV1_0"'
)


def addin_id(url: str) -> str:
    """The add-in's GUID for the backend at ``url``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ecore_xl officejs " + url.rstrip("/")))


def _version() -> str:
    parts = [p for p in ecore_xl.__version__.split(".") if p.isdigit()][:4]
    return ".".join(parts + ["0"] * (4 - len(parts)))


def manifest_xml(url: str) -> str:
    """The manifest for the add-in served by the backend at ``url`` (``https://host:port``)."""
    base = url.rstrip("/") + "/addin"
    q = quoteattr
    icons = "".join(
        f'\n                  <bt:Image size="{s}" resid="Icon.{s}"/>' for s in (16, 32, 80)
    )
    images = "".join(
        f'\n        <bt:Image id="Icon.{s}" DefaultValue={q(f"{base}/icon-{s}.png")}/>'
        for s in ICON_SIZES
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
           xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
           xsi:type="TaskPaneApp">
  <Id>{addin_id(url)}</Id>
  <Version>{_version()}</Version>
  <ProviderName>ecore_xl</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="eCore"/>
  <Description DefaultValue="{_DESCRIPTION}"/>
  <IconUrl DefaultValue={q(base + "/icon-32.png")}/>
  <HighResolutionIconUrl DefaultValue={q(base + "/icon-64.png")}/>
  <SupportUrl DefaultValue={q(base + "/taskpane.html")}/>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1"/>
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={q(base + "/taskpane.html")}/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides {_OVERRIDES}>
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long"/>
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url"/>
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url"/>
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url"/>
            </Metadata>
            <Namespace resid="Functions.Namespace"/>
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <GetStarted>
            <Title resid="GetStarted.Title"/>
            <Description resid="GetStarted.Description"/>
            <LearnMoreUrl resid="Taskpane.Url"/>
          </GetStarted>
          <FunctionFile resid="Taskpane.Url"/>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="eCore.Group">
                <Label resid="Group.Label"/>
                <Icon>{icons}
                </Icon>
                <Control xsi:type="Button" id="eCore.TaskpaneButton">
                  <Label resid="Button.Label"/>
                  <Supertip>
                    <Title resid="Button.Label"/>
                    <Description resid="Button.Tooltip"/>
                  </Supertip>
                  <Icon>{icons}
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>eCore.Taskpane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url"/>
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>{images}
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue={q(base + "/taskpane.html")}/>
        <bt:Url id="Functions.Script.Url" DefaultValue={q(base + "/functions.js")}/>
        <bt:Url id="Functions.Metadata.Url" DefaultValue={q(base + "/functions.json")}/>
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Functions.Namespace" DefaultValue="{NAMESPACE}"/>
        <bt:String id="GetStarted.Title" DefaultValue="eCore data in Excel"/>
        <bt:String id="Group.Label" DefaultValue="eCore"/>
        <bt:String id="Button.Label" DefaultValue="eCore"/>
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="GetStarted.Description" DefaultValue="{_GET_STARTED}"/>
        <bt:String id="Button.Tooltip" DefaultValue="{_TOOLTIP}"/>
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
"""
