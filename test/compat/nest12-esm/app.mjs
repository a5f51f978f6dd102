// An ES-module NestJS 12 app: import of @nest-jetstream/transport's ESM build.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamServer, JetStreamEvent, JetStreamClient } from '@nest-jetstream/transport';

const require = createRequire(import.meta.url);
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
