using System.Runtime.CompilerServices;
using Bunit;

namespace Portal.Web.Tests.Components;

/// <summary>Component tests render against a real database on a shared, busy CI machine: one second is too short a wait.</summary>
internal static class ComponentTestDefaults
{
    [ModuleInitializer]
    internal static void WaitLonger() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(15);
}
