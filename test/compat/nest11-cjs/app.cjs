// A CommonJS NestJS 11 app: require() of @nest-jetstream/transport's CommonJS build.
// Prints one JSON line per event; the e2e test reads them.
require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Ctx, Payload } = require('@nestjs/microservices');
const { JetStreamServer, JetStreamEvent, JetStreamClient } = require('@nest-jetstream/transport');
const { describeApp } = require('../shared/describe-app.cjs');

describeApp({
  Controller,
  Module,
  NestFactory,
  Ctx,
  Payload,
  JetStreamServer,
  JetStreamEvent,
  JetStreamClient,
  nest: require('@nestjs/core/package.json').version,
});
