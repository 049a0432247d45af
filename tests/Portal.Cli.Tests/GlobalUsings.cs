global using Portal.Client;
global using Portal.Client.Models;
global using Portal.TestCommon;
global using Xunit;
