global using Xunit;
global using ContactCenter.Tests.Infrastructure;
