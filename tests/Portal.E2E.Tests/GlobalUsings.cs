global using Microsoft.Playwright;
global using Portal.TestCommon;
global using Xunit;
