# syntax=docker/dockerfile:1
# The service image: built from source, run as a non-root user, configured by environment variables.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first from the project files alone, so the package layer is cached across code changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ContactCenter.Core/ContactCenter.Core.csproj src/ContactCenter.Core/
COPY src/ContactCenter.Server/ContactCenter.Server.csproj src/ContactCenter.Server/
COPY channels/ContactCenter.Channels.Twilio/ContactCenter.Channels.Twilio.csproj channels/ContactCenter.Channels.Twilio/
COPY channels/ContactCenter.Channels.Telegram/ContactCenter.Channels.Telegram.csproj channels/ContactCenter.Channels.Telegram/
COPY channels/ContactCenter.Channels.Meta/ContactCenter.Channels.Meta.csproj channels/ContactCenter.Channels.Meta/
RUN dotnet restore src/ContactCenter.Server/ContactCenter.Server.csproj
COPY src/ src/
COPY channels/ channels/
RUN dotnet publish src/ContactCenter.Server/ContactCenter.Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY appsettings.json ./
COPY flows/ ./flows/
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "ContactCenter.Server.dll"]
